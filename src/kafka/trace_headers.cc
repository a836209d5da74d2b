#include "kafka/trace_headers.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafkatrace/kafka/record_headers_carrier.h"
#include "kafkatrace/propagation/baggage_propagator.h"
#include "kafkatrace/propagation/composite_propagator.h"
#include "kafkatrace/propagation/trace_context_propagator.h"

namespace kafkatrace::kafka::detail {

DirectPropagation DirectPropagationOf(const TextMapPropagator& propagator) {
  std::vector<const TextMapPropagator*> members;
  if (const auto* composite =
          dynamic_cast<const CompositePropagator*>(&propagator)) {
    for (const auto& member : composite->members())
      members.push_back(member.get());
  } else {
    members.push_back(&propagator);
  }
  int trace_context = 0, baggage = 0;
  DirectPropagation shape;
  for (const TextMapPropagator* member : members) {
    if (dynamic_cast<const TraceContextPropagator*>(member) != nullptr) {
      ++trace_context;
    } else if (dynamic_cast<const BaggagePropagator*>(member) != nullptr) {
      ++baggage;
      shape.baggage = member;
    } else {
      return {};  // anything else: the generic path
    }
  }
  // The composite's order is the header order: traceparent must come first.
  if (trace_context != 1 || baggage > 1 ||
      dynamic_cast<const TraceContextPropagator*>(members.front()) == nullptr)
    return {};
  shape.direct = true;
  return shape;
}

HeaderInjector::HeaderInjector(const TextMapPropagator& propagator)
    : propagator_(&propagator), shape_(DirectPropagationOf(propagator)) {}

void HeaderInjector::Inject(rd_kafka_headers_t* headers,
                            const SpanContext& context,
                            bool clear_existing) const {
  if (clear_existing) {
    RecordHeadersCarrier existing(headers);
    for (const auto& field : propagator_->Fields()) existing.Remove(field);
  }
  // Cleared (or known empty): appending is enough and skips a scan per write.
  RecordHeadersCarrier carrier(headers, RecordHeadersCarrier::Mode::kAppend);
  if (!shape_.direct) {
    propagator_->Inject(Context{context, Context::Current().baggage}, carrier);
    return;
  }
  // What TraceContextPropagator::Inject writes, minus the carrier.
  if (context.IsValid()) {
    char traceparent[kTraceParentSize];
    FormatTraceParent(context, traceparent);
    rd_kafka_header_add(headers, "traceparent", 11, traceparent,
                        kTraceParentSize);
    const TraceState& trace_state = context.trace_state();
    if (!trace_state.empty()) {
      const std::string_view value = trace_state.header();
      rd_kafka_header_add(headers, "tracestate", 10, value.data(),
                          static_cast<ssize_t>(value.size()));
    }
  }
  if (shape_.baggage == nullptr)
    return;  // tracecontext alone: no context lookup
  const Baggage& baggage = Context::Current().baggage;
  if (!baggage.empty())
    shape_.baggage->Inject(Context{SpanContext(), baggage}, carrier);
}

HeaderExtractor::HeaderExtractor(const TextMapPropagator& propagator)
    : propagator_(&propagator), shape_(DirectPropagationOf(propagator)) {}

Context HeaderExtractor::Extract(const rd_kafka_message_t* message) const {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    headers = nullptr;
  }
  return Extract(headers);
}

namespace {

enum class TraceHeader { kOther, kTraceParent, kTraceState, kBaggage };

// Whether librdkafka's NUL-terminated `name` is `lower` (lowercase letters) in
// any letter case. Compared as it is walked, so no strlen first; OR-ing 0x20
// maps only 'A'-'Z' onto lowercase letters, and turns the NUL into a space.
bool NameIs(const char* name, std::string_view lower) noexcept {
  for (const char c : lower) {
    if ((*name++ | 0x20) != c) return false;
  }
  return *name == '\0';
}

TraceHeader TraceHeaderOf(const char* name) noexcept {
  switch (name[0] | 0x20) {
    case 't':
      if (NameIs(name, "traceparent")) return TraceHeader::kTraceParent;
      if (NameIs(name, "tracestate")) return TraceHeader::kTraceState;
      return TraceHeader::kOther;
    case 'b':
      return NameIs(name, "baggage") ? TraceHeader::kBaggage
                                     : TraceHeader::kOther;
    default:
      return TraceHeader::kOther;
  }
}

// The context of a record with several tracestate lines, which rule 7 joins
// in order with ','. Rare, so kept out of Extract's walk.
[[gnu::noinline]] SpanContext FromJoinedTraceState(
    const rd_kafka_headers_t* headers, std::string_view traceparent) noexcept {
  std::string joined;
  bool first = true;
  try {
    ForEachHeader(headers, [&](std::string_view name, std::string_view value) {
      if (!EqualsIgnoreAsciiCase(name, "tracestate")) return;
      if (!first) joined += ',';
      first = false;
      joined.append(value);
    });
  } catch (...) {
    return {};  // out of memory: as the propagator, none
  }
  return TraceContextFromFields(1, traceparent, std::string_view(joined));
}

}  // namespace

// The uncommon ways, out of line so the common walk keeps a small frame: a
// propagator other than the default shape, and a record with baggage.
[[gnu::noinline]] Context HeaderExtractor::ExtractThroughCarrier(
    rd_kafka_headers_t* headers, Context base) const {
  const TextMapPropagator& propagator =
      shape_.direct ? *shape_.baggage : *propagator_;
  return propagator.Extract(RecordHeadersCarrier(headers), std::move(base));
}

Context HeaderExtractor::Extract(rd_kafka_headers_t* headers) const {
  if (!shape_.direct) return ExtractThroughCarrier(headers, Context{});
  if (headers == nullptr) return {};
  // What TraceContextPropagator::Extract reads, in one walk of the list.
  int traceparent_lines = 0;
  std::string_view first_traceparent;
  int tracestate_lines = 0;
  std::string_view first_tracestate;
  bool has_baggage = false;
  ForEachHeaderNamed(headers, [&](const char* name, std::string_view value) {
    switch (TraceHeaderOf(name)) {
      case TraceHeader::kTraceParent:
        if (++traceparent_lines == 1) first_traceparent = value;
        break;
      case TraceHeader::kTraceState:
        if (++tracestate_lines == 1) first_tracestate = value;
        break;
      case TraceHeader::kBaggage:
        has_baggage = true;
        break;
      case TraceHeader::kOther:
        break;
    }
  });
  const auto span_context = [&] {
    return tracestate_lines > 1 && traceparent_lines == 1
               ? FromJoinedTraceState(headers, first_traceparent)
               : TraceContextFromFields(
                     traceparent_lines, first_traceparent,
                     tracestate_lines == 1
                         ? std::optional<std::string_view>(first_tracestate)
                         : std::nullopt);
  };
  if (has_baggage && shape_.baggage != nullptr) [[unlikely]]
    return ExtractThroughCarrier(headers, Context{span_context(), {}});
  // Returned as built, in the caller's Context (a named one, returned on two
  // paths, was moved out instead).
  return Context{span_context(), {}};
}

}  // namespace kafkatrace::kafka::detail
