// A TracerProvider wired to an in-memory store and a fake clock, for tests:
// through a SimpleSpanProcessor (spans stored as they end), or with
// Processor::kBatch a BatchSpanProcessor (spans() flushes it first), the
// production pipeline, where instrumentation may defer attributes to its
// worker.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/in_memory_span_exporter.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::testing {

struct TestTracing {
  enum class Processor { kSimple, kBatch };
  // Makes the exporter that stores into the given store, in place of an
  // InMemorySpanExporter.
  using ExporterFactory = std::function<std::unique_ptr<SpanExporter>(
      std::shared_ptr<InMemorySpanStore>)>;
  explicit TestTracing(std::unique_ptr<Sampler> sampler = nullptr,
                       SpanLimits limits = {},
                       Processor processor = Processor::kSimple,
                       const ExporterFactory& exporter_into = nullptr)
      : batch(processor == Processor::kBatch) {
    TracerProviderOptions options;
    options.resource = Resource::Default("test-service");
    options.sampler = std::move(sampler);
    options.clock = &clock;
    options.limits = limits;
    std::unique_ptr<SpanExporter> exporter =
        exporter_into ? exporter_into(store)
                      : std::make_unique<InMemorySpanExporter>(store);
    if (batch) {
      options.processors.push_back(
          std::make_unique<BatchSpanProcessor>(std::move(exporter)));
    } else {
      options.processors.push_back(
          std::make_unique<SimpleSpanProcessor>(std::move(exporter)));
    }
    provider = std::make_unique<TracerProvider>(std::move(options));
  }
  Tracer& tracer() { return provider->GetTracer("test", "1.0"); }
  std::vector<SpanData> spans() const {
    if (batch) {
      (void)provider->ForceFlush(std::chrono::steady_clock::now() +
                                 std::chrono::seconds(10));
    }
    return store->Spans();
  }

  bool batch;
  FakeClock clock;
  std::shared_ptr<InMemorySpanStore> store =
      std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
};

inline Deadline SecondsFromNow(int seconds) {
  return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace kafkatrace::testing
