// Tracer: starts spans for one instrumentation scope (a library or module
// name). Obtained from TracerProvider::GetTracer, which owns it. Thread-safety:
// StartSpan may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/span.h"
#include "kafkatrace/span_context.h"
#include "kafkatrace/span_data.h"

namespace kafkatrace {

namespace detail {
struct ProviderState;
struct SpanHandoff;  // src/trace/span_handoff.h
struct SpanStarter;  // src/trace/span_starter.h
}  // namespace detail

struct SpanOptions {
  SpanKind kind = SpanKind::kInternal;  // OTel span kind, default INTERNAL
  // Explicit parent; when unset, the current context's span (if any) is the
  // parent.
  std::optional<SpanContext> parent;
  bool root = false;             // true: ignore any parent, start a new trace
  Attributes attributes;         // set at start, visible to the sampler
  std::vector<SpanLink> links;   // visible to the sampler
  int64_t start_unix_nanos = 0;  // 0 = now from the provider's clock
  // How many attributes to make room for at start (unset: 8). A recording
  // span reserves this up front: regrowing the list later costs an allocation
  // and a move of every attribute already set. 0 reserves nothing, for a span
  // that gets its attributes only at its end (Span::ReserveAttributes then).
  std::optional<uint32_t> attribute_capacity;
};

class Tracer {
 public:
  // Starts a span. Never fails: without a sampled decision it returns a cheap
  // non-recording span that still carries valid ids for propagation.
  // Attributes and links of a temporary `options` are moved into the span.
  Span StartSpan(std::string_view name, SpanOptions&& options = {}) noexcept {
    return Start(name, options, /*movable=*/true);
  }
  // Options the caller keeps are copied into a recording span.
  Span StartSpan(std::string_view name, const SpanOptions& options) noexcept {
    return Start(name, options, /*movable=*/false);
  }

  const InstrumentationScope& scope() const { return scope_; }

  // Whether the provider's sampler reads start attributes (see
  // Sampler::UsesStartAttributes): when not, they need not be built before the
  // sampling decision.
  bool SamplerUsesStartAttributes() const noexcept;

  // Constructed only by TracerProvider.
  Tracer(const detail::ProviderState* provider, InstrumentationScope scope)
      : provider_(provider), scope_(std::move(scope)) {}

 private:
  friend struct detail::SpanHandoff;
  friend struct detail::SpanStarter;
  // Taking options by reference spares every span a 128-byte move and
  // destruction; `movable` says whether attributes and links may be taken.
  Span Start(std::string_view name, const SpanOptions& options,
             bool movable) noexcept;
  // Start with the parent already resolved (null: a root span); the options'
  // parent and root are not read.
  Span StartChildOf(std::string_view name, const SpanOptions& options,
                    bool movable, const SpanContext* parent) noexcept;
  // The non-recording child of `parent` (a root when invalid) that the
  // sampler would make of any span there (ProviderState::DropsEverySpanWith).
  Span StartDroppedChildOf(const SpanContext& parent) noexcept;
  // StartChildOf once the sampler may record the span: asks it, unless it is
  // known to record every such span (ProviderState::SamplesEverySpanWith).
  Span StartAskingSampler(std::string_view name, const SpanOptions& options,
                          bool movable, const SpanContext& parent) noexcept;
  // A recording span's start attributes (the caller's, then the sampler's)
  // and links, within the limits (messaging spans have none).
  void AddStartAttributesAndLinks(SpanData& data, const SpanOptions& options,
                                  bool movable, Attributes& sampler_attributes);

  const detail::ProviderState* provider_;
  InstrumentationScope scope_;
};

}  // namespace kafkatrace
