// Cost of the per-span path: ids, span start+end with attributes, sampled and
// not.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace {
namespace {

class NoopExporter final : public SpanExporter {
 public:
  ExportResult Export(std::span<std::unique_ptr<SpanData>>,
                      Deadline) noexcept override {
    return ExportResult::kSuccess;
  }
};

std::unique_ptr<TracerProvider> MakeProvider(std::unique_ptr<Sampler> sampler) {
  TracerProviderOptions options;
  options.sampler = std::move(sampler);
  // Synchronous export to a no-op exporter: the whole span path, without
  // queueing.
  options.processors.push_back(
      std::make_unique<SimpleSpanProcessor>(std::make_unique<NoopExporter>()));
  return std::make_unique<TracerProvider>(std::move(options));
}

// The attributes a Kafka producer span carries.
void StartEndWithFiveAttributes(Tracer& tracer) {
  Span span =
      tracer.StartSpan("send orders", SpanOptions{.kind = SpanKind::kProducer});
  span.SetAttribute("messaging.system", "kafka");
  span.SetAttribute("messaging.destination.name", "orders");
  span.SetAttribute("messaging.operation.type", "send");
  span.SetAttribute("messaging.kafka.message.key", "customer-42");
  span.SetAttribute("messaging.destination.partition.id", "3");
  span.End();
}

void BM_SpanSampledFiveAttributes(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOnSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) StartEndWithFiveAttributes(tracer);
}
BENCHMARK(BM_SpanSampledFiveAttributes);

void BM_SpanNonRecordingFiveAttributes(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOffSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) StartEndWithFiveAttributes(tracer);
}
BENCHMARK(BM_SpanNonRecordingFiveAttributes);

// Fourteen attributes, as a Kafka send span ends with: one SetAttribute call
// each, or one SetAttributes call for all.
const AttributeKeyValue kSendAttributes[] = {
    {"messaging.system", "kafka"},
    {"messaging.operation.name", "send"},
    {"messaging.operation.type", "send"},
    {"messaging.destination.name", "orders"},
    {"messaging.destination.partition.id", "3"},
    {"messaging.kafka.message.key", "customer-42"},
    {"messaging.message.body.size", int64_t{100}},
    {"messaging.client.id", "rdkafka"},
    {"messaging.kafka.offset", int64_t{12345}},
    {"server.address", "127.0.0.1"},
    {"server.port", int64_t{9092}},
    {"kafkatrace.send.broker_rtt_ms", 0.4},
    {"kafkatrace.send.local_queue_ms", 5.1},
    {"messaging.kafka.cluster.id", "mockCluster1571ccca25e0"}};

void BM_SpanSampledFourteenAttributesOneByOne(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOnSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) {
    Span span = tracer.StartSpan("send orders",
                                 SpanOptions{.kind = SpanKind::kProducer});
    for (const auto& [key, value] : kSendAttributes)
      span.SetAttribute(key, value);
    span.End();
  }
}
BENCHMARK(BM_SpanSampledFourteenAttributesOneByOne);

void BM_SpanSampledFourteenAttributesAtOnce(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOnSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) {
    Span span = tracer.StartSpan("send orders",
                                 SpanOptions{.kind = SpanKind::kProducer});
    span.SetAttributes(kSendAttributes);
    span.End();
  }
}
BENCHMARK(BM_SpanSampledFourteenAttributesAtOnce);

void BM_SpanSampledNoAttributes(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOnSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    span.End();
  }
}
BENCHMARK(BM_SpanSampledNoAttributes);

// The same through a BatchSpanProcessor, as applications run it: OnEnd
// queues the span for the worker, which exports, clears and recycles it on
// another core meanwhile. The queue is sized by OTEL_BSP_MAX_QUEUE_SIZE as in
// an application (default 2048); the share of spans dropped is reported.
void BM_SpanSampledNoAttributesBatched(benchmark::State& state) {
  TracerProviderOptions options;
  options.sampler = std::make_unique<AlwaysOnSampler>();
  auto processor = std::make_unique<BatchSpanProcessor>(
      std::make_unique<NoopExporter>(),
      BatchSpanProcessorOptions::FromEnv().value());
  BatchSpanProcessor& batch = *processor;
  options.processors.push_back(std::move(processor));
  TracerProvider provider(std::move(options));
  Tracer& tracer = provider.GetTracer("bench");
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    span.End();
  }
  // After the loop: not timed.
  (void)provider.ForceFlush(std::chrono::steady_clock::now() +
                            std::chrono::seconds(60));
  const auto stats = batch.stats();
  state.counters["dropped%"] =
      100.0 * static_cast<double>(stats.spans_dropped) /
      static_cast<double>(std::max<uint64_t>(stats.spans_ended, 1));
}
BENCHMARK(BM_SpanSampledNoAttributesBatched);

void BM_IdPair(benchmark::State& state) {
  RandomIdGenerator concrete;
  IdGenerator& generator =
      concrete;  // through the interface, as the tracer calls it
  for (auto _ : state) {
    TraceId trace_id = generator.NewTraceId();
    SpanId span_id = generator.NewSpanId();
    benchmark::DoNotOptimize(trace_id);
    benchmark::DoNotOptimize(span_id);
  }
}
BENCHMARK(BM_IdPair);

void BM_SystemClock(benchmark::State& state) {
  Clock& clock = SystemClock::Instance();
  for (auto _ : state) benchmark::DoNotOptimize(clock.NowNanos());
}
BENCHMARK(BM_SystemClock);

}  // namespace
}  // namespace kafkatrace

BENCHMARK_MAIN();
