// SpanStarter: Tracer::StartSpan for kafkatrace's own per-record hot paths,
// which know the parent and reuse one constant SpanOptions for every span
// instead of building (and destroying) one per record. Internal to kafkatrace.
// Threading: as Tracer::StartSpan.
#pragma once

#include <string_view>

#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"

namespace kafkatrace::detail {

struct SpanStarter {
  // A span with `options` (copied, never moved from: they are shared) as the
  // child of `parent`, or a root span when `parent` is not valid;
  // options.parent and options.root are not read.
  static Span StartChildOf(Tracer& tracer, std::string_view name,
                           const SpanOptions& options,
                           const SpanContext& parent) noexcept {
    return tracer.StartChildOf(name, options, /*movable=*/false, &parent);
  }
};

}  // namespace kafkatrace::detail
