// SpanHandoff: carries a recording span through a C library's `void*` slot
// (librdkafka's per-record opaque) as its bare SpanData, so instrumentation
// needs no wrapper allocation per record; and ends spans with attributes
// deferred to the batch processor's worker (SpanData's DeferredAttributes).
// Internal to kafkatrace.
// Ownership: Release hands the SpanData to the caller, who must give it back
// to Adopt exactly once (or the span is lost, never exported).
// Threading: like Span, one thread at a time; Adopt may run on another thread.
#pragma once

#include <memory>
#include <span>

#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"
#include "trace/provider_state.h"
#include "trace/span_data_pool.h"

namespace kafkatrace::detail {

struct SpanHandoff {
  // The data of a recording span, now the caller's; `span` is left empty and
  // non-recording. Null when `span` is not recording.
  static SpanData* Release(Span& span) noexcept { return span.data_.release(); }

  // The span again, from data Released by a span that `tracer` started.
  static Span Adopt(SpanData* data, const Tracer& tracer) noexcept {
    return Span(std::unique_ptr<SpanData>(data), tracer.provider_);
  }

  // Whether `span` (recording) may end with deferred attributes: every
  // processor of its provider resolves them before export.
  static bool CanDeferAttributes(const Span& span) noexcept {
    return span.provider_->defer_attributes;
  }
  // Ends `span` (recording, CanDeferAttributes) with `facts`, from which
  // `lister` lists the rest of its attributes later, on another thread: they
  // end as if set last.
  // With `finisher`, what is not an attribute (a failure's status and
  // exception event) is set later too, on the same thread, after them.
  template <typename Facts>
  static void EndWithDeferredAttributes(
      Span& span, DeferredAttributes::Lister lister, const Facts& facts,
      DeferredAttributes::Finisher finisher = nullptr) noexcept {
    span.data_->deferred.Store(lister, DeferredAttributes::Order::kAfterOwn,
                               span.provider_, facts, finisher);
    span.End();
  }
  // Keeps `facts` in `span` (recording, CanDeferAttributes), still live, for
  // `lister` to list its first attributes from after it ends: they end as if
  // set first, and those the application sets meanwhile are kept.
  template <typename Facts>
  static void DeferAttributes(Span& span, DeferredAttributes::Lister lister,
                              const Facts& facts) noexcept {
    span.data_->deferred.Store(lister, DeferredAttributes::Order::kBeforeOwn,
                               span.provider_, facts);
  }
  // For ResolveDeferredAttributes: sets `attributes` on an ended span's data
  // as Span::SetAttributes would have (limits, later keys replacing earlier).
  // A span without attributes gets one of this thread's spare lists
  // (TakeSpareAttributes) and overwrites its entries, reusing their strings;
  // its own empty list becomes a spare.
  static void SetAttributesOn(
      SpanData& data, const ProviderState* provider,
      std::span<const AttributeKeyValue> attributes) noexcept {
    Span span(std::unique_ptr<SpanData>(&data), provider);
    Attributes spare;
    if (data.attributes.empty()) spare = TakeSpareAttributes();
    if (spare.capacity() != 0) {
      KeepSpareAttributes(
          span.SetAttributesOverStale(std::move(spare), attributes));
    } else {
      span.SetAttributes(attributes);
    }
    (void)span.data_.release();  // still the caller's
  }
  // For ResolveDeferredAttributes: runs `finisher` on an ended span's data,
  // wrapped in a Span that records (status, events) as a live one would.
  static void Finish(SpanData& data, const ProviderState* provider,
                     DeferredAttributes::Finisher finisher,
                     const DeferredAttributes& deferred) noexcept {
    const int64_t ended_at = data.end_unix_nanos;
    Span span(std::unique_ptr<SpanData>(&data), provider);
    finisher(deferred, span, ended_at);
    (void)span.data_.release();  // still the caller's
  }
  // For facts deferred at start: the span ends as if
  // `attributes` had been set before those it has (set while it was live),
  // which keep their values and order, and the limits drop the same ones.
  static void SetAttributesBefore(
      SpanData& data, const ProviderState* provider,
      std::span<const AttributeKeyValue> attributes) noexcept {
    if (data.attributes.empty()) {  // the usual case: nothing to re-apply
      SetAttributesOn(data, provider, attributes);
      return;
    }
    Attributes later;
    later.swap(data.attributes);
    Span span(std::unique_ptr<SpanData>(&data), provider);
    span.SetAttributes(attributes);
    for (const Attribute& attribute : later)
      span.SetAttribute(attribute.key.view(), attribute.value);
    (void)span.data_.release();  // still the caller's
  }
};

}  // namespace kafkatrace::detail
