// Cost of the per-span path: ids, span start+end with attributes, sampled and
// not.
#include <benchmark/benchmark.h>

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

void BM_SpanSampledNoAttributes(benchmark::State& state) {
  auto provider = MakeProvider(std::make_unique<AlwaysOnSampler>());
  Tracer& tracer = provider->GetTracer("bench");
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    span.End();
  }
}
BENCHMARK(BM_SpanSampledNoAttributes);

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
