// Recycles SpanData objects: exporters' finished spans come back here and new
// spans reuse them, with the capacity of their attribute vectors. This keeps
// malloc off the span path and stops the batch worker from freeing most of
// what application threads allocated (glibc serializes such cross-thread
// frees on the arena lock, which throttled the worker under load). The
// recycling thread (the batch worker) also clears the spans and prepares new
// ones ahead of demand: work moved off the application's thread, which under
// load is the bottleneck while the worker idles.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "kafkatrace/span_data.h"

namespace kafkatrace::detail {

// What the shared pool keeps at most, counting each span's own memory and its
// lists' (about 20,000 bare spans). Sized for a producer with a hundred
// thousand records in flight: the batch worker hands spans back thousands at
// a time, and with room for only 4,096 of them, a quarter of all send spans
// were malloc'ed on the application's thread and freed again by the worker.
inline constexpr size_t kSharedPoolBytes = size_t{8} << 20;

// A cleared SpanData, from this thread's cache, the shared pool, or the heap.
std::unique_ptr<SpanData> AcquireSpanData();
// Hands spans back, cleared; null entries (moved out by an exporter) are
// skipped. Bounded: extras are left to the caller's unique_ptrs to free. With
// `keep_spare_attributes` (a thread that resolves deferred attributes: the
// batch worker), the attribute lists of spans whose deferred attributes were
// resolved stay on this thread, entries and all (bounded in number and size),
// for TakeSpareAttributes.
void RecycleSpanData(std::span<std::unique_ptr<SpanData>> spans,
                     bool keep_spare_attributes = false) noexcept;
// An attribute list kept by RecycleSpanData on this thread, or an empty one.
// Its entries are still constructed but stale: overwriting them in place
// (Span::SetAttributesOverStale) reuses their strings' memory too. With
// thousands of records in flight most spans outgrow the pool and come back
// from the heap without a list, and allocating one per span, then freeing it
// and its long strings, cost the batch worker a third of its time.
Attributes TakeSpareAttributes() noexcept;
// Keeps `list` (capacity, and any entries) among this thread's spares, if
// there is room; otherwise frees it.
void KeepSpareAttributes(Attributes list) noexcept;
// Allocates spans ahead of demand into the shared pool: as many as threads had
// to allocate themselves since the last call (at most 1,024, and no more than
// the pool has room for), bare: Kafka spans' attributes wait as facts, and
// other spans reserve their own. Called by BatchSpanProcessor's worker after
// each export, so that an application thread starting spans faster than they
// come back (thousands of Kafka records in flight) finds one ready instead of
// paying malloc on its hot path. Nothing is prepared while nothing was missing.
void ReplenishSpanDataPool() noexcept;
// The bytes the shared pool holds now (for tests and diagnostics).
size_t SharedSpanDataPoolBytes() noexcept;

}  // namespace kafkatrace::detail
