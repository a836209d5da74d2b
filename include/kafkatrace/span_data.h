// SpanData: the complete record of one span, as span processors and exporters
// receive it. Also the span enums, events, links and limits. Exporters get this
// concrete type; there is no read-only interface to downcast from.
// Thread-safety: plain value; owned by exactly one party at a time
// (std::unique_ptr).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/function_ref.h"
#include "kafkatrace/span_context.h"

namespace kafkatrace {

class Resource;
class Span;
struct SpanData;
struct AttributeKeyValue;  // span.h

namespace detail {
struct ProviderState;

// Attributes that kafkatrace's own instrumentation recorded as raw facts when
// its span ended (a send span) or started (a process span), to be turned into
// attributes later, off the application's thread: under load the thread that
// ends Kafka send spans is the bottleneck, and a dozen attributes cost it more
// than the rest of the span.
// Internal: every span a processor's OnEnd or an exporter receives has its
// attributes complete, except the batch span processor's own OnEnd, which
// resolves them on its worker (ResolveDeferredAttributes) before export, and
// an exporter whose ExportsDeferredAttributes() is true (kafkatrace's OTLP
// exporter), which writes the listed attributes straight into its request
// when they are exactly what resolving would give (DeferredAttributesExact).
// `facts` must not borrow memory that may be freed before then (strings are
// interned).
struct DeferredAttributes {
  using Sink = FunctionRef<void(std::span<const AttributeKeyValue>)>;
  // Lists the attributes the facts stand for, in the order they are set, to
  // `sink` (once): at most kMaxListed, with distinct keys.
  using Lister = void (*)(const DeferredAttributes& deferred, Sink sink);
  // Sets what the facts stand for beyond attributes (a failure's status and
  // exception event) on `span`, a recording Span that ResolveDeferredAttributes
  // wraps around the ended span's data, after the listed attributes are set;
  // `ended_at` is the span's end time, for events of its end.
  using Finisher = void (*)(const DeferredAttributes& deferred, Span& span,
                            int64_t ended_at);
  static constexpr size_t kMaxListed = 20;
  static constexpr size_t kFactsSize = 112;
  // Where the listed attributes go among those the span has of its own.
  enum class Order : uint8_t {
    kAfterOwn,   // facts of the span's end: as if set last
    kBeforeOwn,  // facts of its start: as if set first; the span's own
                 // attributes, set while it was live, keep their values
  };

  // Stores `facts` for `lister`, which reads them back with Facts<T>().
  template <typename T>
  void Store(Lister to, Order order_among_own, const ProviderState* by,
             const T& facts, Finisher then = nullptr) noexcept {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kFactsSize &&
                  alignof(T) <= 8);
    std::memcpy(facts_, &facts, sizeof(T));
    provider = by;
    order = order_among_own;
    lister = to;
    finisher = then;
  }
  template <typename T>
  T Facts() const noexcept {
    T facts;
    std::memcpy(&facts, facts_, sizeof(T));
    return facts;
  }

  Lister lister = nullptr;      // null: nothing deferred
  Finisher finisher = nullptr;  // null: attributes only
  Order order = Order::kAfterOwn;
  // Whose limits apply (the provider outlives its spans).
  const ProviderState* provider = nullptr;
  alignas(8) std::byte facts_[kFactsSize];
};
// Writes `span`'s deferred attributes, if any, into its `attributes`, and
// clears them.
void ResolveDeferredAttributes(SpanData& span) noexcept;
// Whether `span`'s deferred attributes (if any), listed as they are after its
// own, are exactly what ResolveDeferredAttributes would give: it has none of
// its own, the limits cut none of the listed ones, and there is no finisher
// (a failure's status and event are not attributes).
bool DeferredAttributesExact(const SpanData& span) noexcept;
}  // namespace detail

// Values match the OTLP enum, so exporters can write them unchanged.
enum class SpanKind : uint8_t {
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};
const char* SpanKindName(
    SpanKind kind) noexcept;  // "INTERNAL", "PRODUCER", ...

enum class SpanStatusCode : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

struct InstrumentationScope {
  std::string name;
  std::string version;
  // The semantic conventions version its telemetry follows, e.g.
  // "https://opentelemetry.io/schemas/1.44.0": collectors translate attribute
  // names between versions by it. Empty: none declared.
  std::string schema_url;
};

struct SpanEvent {
  std::string name;
  int64_t time_unix_nanos = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct SpanLink {
  SpanContext context;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

// Limits that bound a span's memory; what is cut is counted in the dropped_*
// fields.
struct SpanLimits {
  uint32_t max_attributes = 128;  // per span (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT)
  uint32_t max_attribute_value_length =
      0;                      // chars per string value, 0 = unlimited
  uint32_t max_events = 128;  // per span (OTEL_SPAN_EVENT_COUNT_LIMIT)
  uint32_t max_links = 128;   // per span (OTEL_SPAN_LINK_COUNT_LIMIT)
  uint32_t max_attributes_per_event = 128;  // OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT
  uint32_t max_attributes_per_link = 128;   // OTEL_LINK_ATTRIBUTE_COUNT_LIMIT
};

struct SpanData {
  SpanContext context;
  SpanId parent_span_id;  // all zeros for a root span
  bool parent_is_remote =
      false;  // the parent context came from another process
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  Attributes attributes;
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;
  SpanStatusCode status_code = SpanStatusCode::kUnset;
  std::string status_message;
  uint32_t dropped_attributes_count = 0;
  uint32_t dropped_events_count = 0;
  uint32_t dropped_links_count = 0;
  // Owned by the TracerProvider, which outlives every span it created.
  const Resource* resource = nullptr;
  const InstrumentationScope* scope = nullptr;
  // Internal to kafkatrace (see DeferredAttributes): always empty when a
  // processor other than BatchSpanProcessor, or an exporter whose
  // ExportsDeferredAttributes() is false, sees the span.
  detail::DeferredAttributes deferred;
};

}  // namespace kafkatrace
