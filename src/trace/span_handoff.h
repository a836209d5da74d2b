// SpanHandoff: carries a recording span through a C library's `void*` slot
// (librdkafka's per-record opaque) as its bare SpanData, so instrumentation
// needs no wrapper allocation per record. Internal to kafkatrace.
// Ownership: Release hands the SpanData to the caller, who must give it back
// to Adopt exactly once (or the span is lost, never exported).
// Threading: like Span, one thread at a time; Adopt may run on another thread.
#pragma once

#include <memory>

#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"

namespace kafkatrace::detail {

struct SpanHandoff {
  // The data of a recording span, now the caller's; `span` is left empty and
  // non-recording. Null when `span` is not recording.
  static SpanData* Release(Span& span) noexcept { return span.data_.release(); }

  // The span again, from data Released by a span that `tracer` started.
  static Span Adopt(SpanData* data, const Tracer& tracer) noexcept {
    return Span(std::unique_ptr<SpanData>(data), tracer.provider_);
  }
};

}  // namespace kafkatrace::detail
