// A TracerProvider wired to an in-memory store and a fake clock, for tests.
#pragma once

#include <chrono>
#include <memory>

#include "kafkatrace/in_memory_span_exporter.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::testing {

struct TestTracing {
  explicit TestTracing(std::unique_ptr<Sampler> sampler = nullptr,
                       SpanLimits limits = {}) {
    TracerProviderOptions options;
    options.resource = Resource::Default("test-service");
    options.sampler = std::move(sampler);
    options.clock = &clock;
    options.limits = limits;
    options.processors.push_back(std::make_unique<SimpleSpanProcessor>(
        std::make_unique<InMemorySpanExporter>(store)));
    provider = std::make_unique<TracerProvider>(std::move(options));
  }
  Tracer& tracer() { return provider->GetTracer("test", "1.0"); }
  std::vector<SpanData> spans() const { return store->Spans(); }

  FakeClock clock;
  std::shared_ptr<InMemorySpanStore> store =
      std::make_shared<InMemorySpanStore>();
  std::unique_ptr<TracerProvider> provider;
};

inline Deadline SecondsFromNow(int seconds) {
  return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

}  // namespace kafkatrace::testing
