#include "kafkatrace/tracer_provider.h"

#include "kafkatrace/batch_span_processor.h"
#include "trace/provider_state.h"

namespace kafkatrace {

TracerProvider::TracerProvider(TracerProviderOptions options)
    : state_(std::make_unique<detail::ProviderState>()) {
  state_->resource = std::move(options.resource);
  state_->sampler = options.sampler ? std::move(options.sampler)
                                    : std::make_unique<ParentBasedSampler>(
                                          std::make_unique<AlwaysOnSampler>());
  state_->id_generator = options.id_generator
                             ? std::move(options.id_generator)
                             : std::make_unique<RandomIdGenerator>();
  state_->trace_ids_are_random = state_->id_generator->trace_ids_are_random();
  state_->sampler_uses_start_attributes =
      state_->sampler->UsesStartAttributes();
  for (int kind = 0; kind < kParentKinds; ++kind) {
    if (state_->sampler->DropsEverySpan(static_cast<ParentKind>(kind)))
      state_->sampler_drops_every_span |= static_cast<uint8_t>(1u << kind);
    if (state_->sampler->SamplesEverySpan(static_cast<ParentKind>(kind)))
      state_->sampler_samples_every_span |= static_cast<uint8_t>(1u << kind);
  }
  state_->clock =
      options.clock != nullptr ? options.clock : &SystemClock::Instance();
  state_->limits = options.limits;
  state_->processors = std::move(options.processors);
  // Only the batch processor resolves deferred attributes (on its worker).
  // Without processors nothing ever reads a span: its attributes need never
  // be written (propagation-only setups, such as the plugin's exporter=none).
  state_->defer_attributes = true;
  for (const auto& processor : state_->processors) {
    if (dynamic_cast<const BatchSpanProcessor*>(processor.get()) == nullptr)
      state_->defer_attributes = false;
  }
}

TracerProvider::~TracerProvider() {
  (void)Shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(5));
}

Tracer& TracerProvider::GetTracer(std::string_view name,
                                  std::string_view version,
                                  std::string_view schema_url) {
  std::lock_guard lock(tracers_mutex_);
  for (const auto& tracer : tracers_) {
    const InstrumentationScope& scope = tracer->scope();
    if (scope.name == name && scope.version == version &&
        scope.schema_url == schema_url)
      return *tracer;
  }
  tracers_.push_back(std::make_unique<Tracer>(
      state_.get(),
      InstrumentationScope{std::string(name), std::string(version),
                           std::string(schema_url)}));
  return *tracers_.back();
}

bool TracerProvider::ForceFlush(Deadline deadline) noexcept {
  bool ok = true;
  for (const auto& processor : state_->processors)
    ok &= processor->ForceFlush(deadline);
  return ok;
}

bool TracerProvider::Shutdown(Deadline deadline) noexcept {
  {
    std::lock_guard lock(tracers_mutex_);
    if (shut_down_) return true;
    shut_down_ = true;
  }
  state_->shut_down.store(true);
  bool ok = true;
  for (const auto& processor : state_->processors)
    ok &= processor->Shutdown(deadline);
  return ok;
}

const Resource& TracerProvider::resource() const { return state_->resource; }

}  // namespace kafkatrace
