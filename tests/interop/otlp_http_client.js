// OpenTelemetry JavaScript's own OTLP/HTTP exporters, protobuf or JSON, sending one trace and
// three metrics to a receiver (kafkatrace view), so that its decoders are checked against an
// encoder nobody here wrote. Prints {"trace_id", "span_id"} of the parent span.
//
// Usage: node otlp_http_client.js <base URL, e.g. http://127.0.0.1:4318> <proto|json> <service>
const { trace, context, SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality } =
  require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const [base, encoding, service] = process.argv.slice(2);
const traceExporterPackage = encoding === 'proto' ? '@opentelemetry/exporter-trace-otlp-proto'
  : '@opentelemetry/exporter-trace-otlp-http';
const metricExporterPackage = encoding === 'proto' ? '@opentelemetry/exporter-metrics-otlp-proto'
  : '@opentelemetry/exporter-metrics-otlp-http';
const { OTLPTraceExporter } = require(traceExporterPackage);
const { OTLPMetricExporter } = require(metricExporterPackage);

async function main() {
  const resource = resourceFromAttributes({ 'service.name': service });

  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: base + '/v1/traces' }))],
  });
  const tracer = tracerProvider.getTracer('otlp-interop', '1.2.3');
  const parent = tracer.startSpan('send orders', {
    kind: SpanKind.PRODUCER,
    attributes: {
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.kafka.offset': 42,
      'messaging.message.body.size': 1234.5,
      'messaging.kafka.message.tombstone': true,
      'app.tags': ['a', 'b'],
    },
  });
  parent.addEvent('retry', { attempt: 2 });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'broker said no' });
  const child = tracer.startSpan('encode', { kind: SpanKind.INTERNAL },
    trace.setSpan(context.active(), parent));
  child.end();
  parent.end();
  await tracerProvider.forceFlush();

  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({
      url: base + '/v1/metrics',
      temporalityPreference: AggregationTemporality.CUMULATIVE,
    }),
    exportIntervalMillis: 60000,
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const meter = meterProvider.getMeter('otlp-interop', '1.2.3');
  const attributes = { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' };
  meter.createCounter('messaging.client.sent.messages', { unit: '{message}' }).add(3, attributes);
  const duration = meter.createHistogram('messaging.client.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1] },
  });
  for (const seconds of [0.002, 0.02, 0.3]) duration.record(seconds, attributes);
  meter.createUpDownCounter('app.in_flight').add(-2, attributes);
  await meterProvider.forceFlush();

  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  const ids = parent.spanContext();
  console.log(JSON.stringify({ trace_id: ids.traceId, span_id: ids.spanId }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
