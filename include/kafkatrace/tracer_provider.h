// TracerProvider: owns the tracing pipeline (resource, sampler, id generator,
// clock, limits, span processors) and the tracers that feed it. It must outlive
// every Tracer and Span it created; shut it down (or destroy it) last.
// Thread-safety: GetTracer, ForceFlush and Shutdown may be called from any
// thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kafkatrace/clock.h"
#include "kafkatrace/id_generator.h"
#include "kafkatrace/resource.h"
#include "kafkatrace/sampler.h"
#include "kafkatrace/span_exporter.h"
#include "kafkatrace/span_processor.h"
#include "kafkatrace/status.h"
#include "kafkatrace/tracer.h"

namespace kafkatrace {

struct TracerProviderOptions {
  Resource resource = Resource::Default();  // service.name etc.
  // Default: parentbased_always_on.
  std::unique_ptr<Sampler> sampler;
  // Receive every recording span, in order. Empty: spans are created but go
  // nowhere.
  std::vector<std::unique_ptr<SpanProcessor>> processors;
  std::unique_ptr<IdGenerator> id_generator;  // default RandomIdGenerator
  Clock* clock =
      nullptr;  // borrowed, must outlive the provider; default SystemClock
  SpanLimits limits;

  // The standard environment configuration: OTEL_SDK_DISABLED,
  // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG),
  // OTEL_SPAN_*_LIMIT, OTEL_BSP_*, and OTEL_TRACES_EXPORTER (console, none;
  // otlp once the OTLP module is linked). The first malformed variable is
  // reported by name.
  static Result<TracerProviderOptions> FromEnv();
};

class TracerProvider {
 public:
  explicit TracerProvider(TracerProviderOptions options = {});
  // Shuts down with a 5 s deadline if Shutdown was not called.
  ~TracerProvider();
  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // Returns the tracer for a scope (name, version and schema URL together),
  // creating it once; the reference lives as long as the provider.
  Tracer& GetTracer(std::string_view name, std::string_view version = {},
                    std::string_view schema_url = {});

  bool ForceFlush(Deadline deadline) noexcept;
  // Flushes and stops all processors. Spans ended afterwards are dropped.
  bool Shutdown(Deadline deadline) noexcept;

  const Resource& resource() const;

 private:
  std::unique_ptr<detail::ProviderState> state_;
  std::mutex tracers_mutex_;
  std::vector<std::unique_ptr<Tracer>> tracers_;  // guarded by tracers_mutex_
  bool shut_down_ = false;                        // guarded by tracers_mutex_
};

}  // namespace kafkatrace
