// Recycles SpanData objects: exporters' finished spans come back here and new
// spans reuse them, with the capacity of their attribute vectors and strings.
// This keeps malloc off the span path and, more importantly, stops the batch
// worker from freeing memory that application threads allocated (glibc
// serializes such cross-thread frees on the arena lock, which throttled the
// worker under load).
#pragma once

#include <memory>
#include <span>

#include "kafkatrace/span_data.h"

namespace kafkatrace::detail {

// A cleared SpanData, from this thread's cache, the shared pool, or the heap.
std::unique_ptr<SpanData> AcquireSpanData();
// Hands spans back; null entries (moved out by an exporter) are skipped.
// Bounded: extras are freed.
void RecycleSpanData(std::span<std::unique_ptr<SpanData>> spans) noexcept;

}  // namespace kafkatrace::detail
