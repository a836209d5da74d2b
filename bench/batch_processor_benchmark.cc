// Batch span processor under load: 2 application threads ending sampled spans
// into one processor with a no-op exporter at default settings. Reports
// throughput and the dropped fraction, both at full speed and paced at a target
// rate.
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>
#include <vector>

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

struct RunResult {
  double spans_per_second;
  double dropped_fraction;
};

// Each thread ends `spans_per_thread` spans; with `rate_per_thread` > 0 it
// paces itself.
RunResult Run(int threads, int64_t spans_per_thread, double rate_per_thread) {
  auto exporter = std::make_unique<NoopExporter>();
  auto bsp = std::make_unique<BatchSpanProcessor>(std::move(exporter));
  BatchSpanProcessor* processor = bsp.get();
  TracerProviderOptions options;
  options.sampler = std::make_unique<AlwaysOnSampler>();
  options.processors.push_back(std::move(bsp));
  TracerProvider provider(std::move(options));
  Tracer& tracer = provider.GetTracer("bench");

  std::atomic<int> ready{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      const auto begin = std::chrono::steady_clock::now();
      for (int64_t i = 0; i < spans_per_thread; ++i) {
        Span span =
            tracer.StartSpan("op", SpanOptions{.kind = SpanKind::kProducer});
        span.SetAttribute("messaging.system", std::string("kafka"));
        span.End();
        if (rate_per_thread > 0 && (i & 63) == 63) {
          auto due = begin + std::chrono::duration<double>(
                                 static_cast<double>(i) / rate_per_thread);
          while (std::chrono::steady_clock::now() < due) {
          }
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  (void)provider.ForceFlush(std::chrono::steady_clock::now() +
                            std::chrono::seconds(10));
  auto stats = processor->stats();
  return {static_cast<double>(stats.spans_ended) / seconds,
          static_cast<double>(stats.spans_dropped) /
              static_cast<double>(stats.spans_ended)};
}

void Report(benchmark::State& state, const RunResult& r) {
  state.counters["spans_per_s"] = r.spans_per_second;
  state.counters["dropped_pct"] = 100.0 * r.dropped_fraction;
}

// Full speed: how many spans/s 2 threads can end, and how many the queue had to
// drop.
void BM_BatchProcessorTwoThreadsFullSpeed(benchmark::State& state) {
  RunResult r{};
  for (auto _ : state) r = Run(2, 2'000'000, 0);
  Report(state, r);
}
BENCHMARK(BM_BatchProcessorTwoThreadsFullSpeed)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Paced: 2 threads x 750k spans/s = 1.5 M spans/s for 2 s.
void BM_BatchProcessorTwoThreadsAt1500k(benchmark::State& state) {
  RunResult r{};
  for (auto _ : state) r = Run(2, 1'500'000, 750'000);
  Report(state, r);
}
BENCHMARK(BM_BatchProcessorTwoThreadsAt1500k)
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kafkatrace

BENCHMARK_MAIN();
