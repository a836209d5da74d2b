// SpanStarter: Tracer::StartSpan for kafkatrace's own per-record hot paths,
// which know the parent and reuse one constant SpanOptions for every span
// instead of building (and destroying) one per record. Internal to kafkatrace.
// Threading: as Tracer::StartSpan.
#pragma once

#include <string_view>

#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"
#include "trace/provider_state.h"

namespace kafkatrace::detail {

struct SpanStarter {
  // A span with `options` (copied, never moved from: they are shared) as the
  // child of `parent`, or a root span when `parent` is not valid;
  // options.parent and options.root are not read. For callers that asked
  // DropsEveryChildOf first (and got false): the sampler is asked at once.
  static Span StartChildOf(Tracer& tracer, std::string_view name,
                           const SpanOptions& options,
                           const SpanContext& parent) noexcept {
    return tracer.StartAskingSampler(name, options, /*movable=*/false, parent);
  }
  // Whether the sampler drops every child of `parent` whatever its name and
  // options: then StartDroppedChildOf starts it without them being composed.
  static bool DropsEveryChildOf(const Tracer& tracer,
                                const SpanContext& parent) noexcept {
    return tracer.provider_->DropsEverySpanWith(parent);
  }
  static Span StartDroppedChildOf(Tracer& tracer,
                                  const SpanContext& parent) noexcept {
    return tracer.StartDroppedChildOf(parent);
  }
};

}  // namespace kafkatrace::detail
