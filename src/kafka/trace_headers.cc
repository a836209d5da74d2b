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

Context HeaderExtractor::Extract(rd_kafka_headers_t* headers) const {
  if (!shape_.direct)
    return propagator_->Extract(RecordHeadersCarrier(headers), Context{});
  if (headers == nullptr) return {};
  // What TraceContextPropagator::Extract reads, in one walk of the list.
  int traceparent_lines = 0;
  std::string_view first_traceparent;
  int tracestate_lines = 0;
  std::string_view first_tracestate;
  std::string joined_tracestate;  // only for a record with several lines
  bool has_baggage = false;
  ForEachHeader(headers, [&](std::string_view key, std::string_view text) {
    if (EqualsIgnoreAsciiCase(key, "traceparent")) {
      if (traceparent_lines >= 0 && ++traceparent_lines == 1)
        first_traceparent = text;
    } else if (EqualsIgnoreAsciiCase(key, "tracestate")) {
      if (++tracestate_lines == 1) {
        first_tracestate = text;
      } else {  // rule 7: lines join in order, with ','
        try {
          if (tracestate_lines == 2) joined_tracestate = first_tracestate;
          joined_tracestate += ',';
          joined_tracestate.append(text);
        } catch (...) {
          traceparent_lines = -1;  // out of memory: as the propagator, none
        }
      }
    } else if (EqualsIgnoreAsciiCase(key, "baggage")) {
      has_baggage = true;
    }
  });
  Context context;
  std::optional<std::string_view> tracestate;
  if (tracestate_lines > 0) {
    tracestate = tracestate_lines == 1 ? first_tracestate
                                       : std::string_view(joined_tracestate);
  }
  context.span_context =
      TraceContextFromFields(traceparent_lines, first_traceparent, tracestate);
  if (has_baggage && shape_.baggage != nullptr) {
    context = shape_.baggage->Extract(RecordHeadersCarrier(headers),
                                      std::move(context));
  }
  return context;
}

}  // namespace kafkatrace::kafka::detail
