// W3C Trace Context: traceparent and tracestate, exactly per
// ../shared/spec/w3c-trace-context.md (Level 1 with the Level 2 random flag).
// The free functions are the parsing and formatting primitives;
// TraceContextPropagator applies the multiplicity and combination rules.
// Thread-safety: stateless.
#pragma once

#include <optional>
#include <string_view>

#include "kafkatrace/propagation/text_map_propagator.h"
#include "kafkatrace/span_context.h"

namespace kafkatrace {

inline constexpr size_t kTraceParentSize = 55;

// Parses one traceparent value (OWS already allowed at both ends). Returns a
// remote context with flags masked to the known bits, or nullopt (restart) per
// rules 3-4.
std::optional<SpanContext> ParseTraceParent(std::string_view value) noexcept;

// Writes "00-<trace-id>-<span-id>-<flags>" (55 chars, flags masked to known
// bits) to `out`.
void FormatTraceParent(const SpanContext& context, char* out) noexcept;

// The context a carrier's trace fields give, per the multiplicity and
// combination rules: `traceparent_lines` is how many traceparent field lines
// it had and `first_traceparent` the first; `tracestate` the tracestate lines
// joined in order with ',' (rule 7), nullopt when there were none. Invalid
// (none, several or malformed traceparent: restart) when there is no context
// to continue; an invalid tracestate is dropped (rule 10). Shared by
// TraceContextPropagator::Extract and readers that walk a carrier themselves.
SpanContext TraceContextFromFields(
    int traceparent_lines, std::string_view first_traceparent,
    std::optional<std::string_view> tracestate) noexcept;

class TraceContextPropagator final : public TextMapPropagator {
 public:
  void Inject(const Context& context,
              TextMapCarrier& carrier) const noexcept override;
  Context Extract(const TextMapCarrier& carrier,
                  Context base) const noexcept override;
  const std::vector<std::string>& Fields() const noexcept override;
};

}  // namespace kafkatrace
