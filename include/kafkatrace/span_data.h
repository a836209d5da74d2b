// SpanData: the complete record of one span, as span processors and exporters
// receive it. Also the span enums, events, links and limits. Exporters get this
// concrete type; there is no read-only interface to downcast from.
// Thread-safety: plain value; owned by exactly one party at a time
// (std::unique_ptr).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/span_context.h"

namespace kafkatrace {

class Resource;

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
};

}  // namespace kafkatrace
