// A client nobody here wrote: kafkajs traced by OpenTelemetry's own instrumentation-kafkajs.
// Usage: node kafkajs_client.js <bootstrap> produce|consume <topic>
// Prints the ids of its PRODUCER span (produce) or CONSUMER span and its parent (consume).
// Produces with W3C baggage in its context (tenant "acme corp", user.id 42), and prints the
// baggage its message handler sees (consume).
// With OTLP_GRPC_ENDPOINT set (http://host:port), its spans also go there through
// OpenTelemetry's own OTLP/gRPC exporter (@grpc/grpc-js).
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { KafkaJsInstrumentation } = require('@opentelemetry/instrumentation-kafkajs');
const exporter = new InMemorySpanExporter();
const spanProcessors = [new SimpleSpanProcessor(exporter)];
if (process.env.OTLP_GRPC_ENDPOINT) {
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
  spanProcessors.push(new SimpleSpanProcessor(new OTLPTraceExporter({ url: process.env.OTLP_GRPC_ENDPOINT })));
}
const provider = new NodeTracerProvider({ spanProcessors });
provider.register();
registerInstrumentations({ instrumentations: [new KafkaJsInstrumentation()] });
const { Kafka, logLevel } = require('kafkajs');
const { context, propagation } = require('@opentelemetry/api');

(async () => {
  const [bootstrap, mode, topic, expectTrace] = process.argv.slice(2);
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  if (mode === 'produce') {
    const producer = kafka.producer();
    await producer.connect();
    const baggage = propagation.createBaggage({ tenant: { value: 'acme corp' }, 'user.id': { value: '42' } });
    await context.with(propagation.setBaggage(context.active(), baggage), () =>
      producer.send({ topic, messages: [{ key: 'js', value: 'from kafkajs' }] }));
    await producer.disconnect();
    const span = exporter.getFinishedSpans().find((s) => s.kind === 3);  // PRODUCER
    await provider.shutdown();  // flushes the OTLP exporter, if any (and empties the in-memory one)
    console.log(JSON.stringify({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId }));
  } else {
    const consumer = kafka.consumer({ groupId: 'js-' + Date.now() });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let done;
    const got = new Promise((r) => (done = r));
    let baggage = {};  // what the handler's context carries, from the record's headers
    await consumer.run({ eachMessage: async () => {
      for (const [key, entry] of propagation.getBaggage(context.active())?.getAllEntries() ?? []) baggage[key] = entry.value;
      done();
    } });
    await got;
    await consumer.disconnect();
    const span = exporter.getFinishedSpans().find((s) => s.kind === 4);  // CONSUMER
    await provider.shutdown();
    console.log(JSON.stringify({ trace_id: span.spanContext().traceId, parent: span.parentSpanContext?.spanId ?? span.parentSpanId,
                                 baggage }));
  }
  process.exit(0);
})().catch((e) => { console.error(e.message); process.exit(1); });
