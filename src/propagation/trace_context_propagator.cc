#include "kafkatrace/propagation/trace_context_propagator.h"

#include <cstring>

#include "common/text.h"

namespace kafkatrace {
namespace {

constexpr std::string_view kTraceParent = "traceparent";
constexpr std::string_view kTraceState = "tracestate";

}  // namespace

std::optional<SpanContext> ParseTraceParent(std::string_view value) noexcept {
  std::string_view v = text::TrimOws(value);  // rule 3
  if (v.size() < kTraceParentSize || v[2] != '-' || v[35] != '-' ||
      v[52] != '-') {
    return std::nullopt;
  }
  uint8_t version;
  if (!detail::DecodeLowerHex(v.substr(0, 2), &version, 1) || version == 0xFF) {
    return std::nullopt;
  }
  if (version == 0x00) {
    if (v.size() != kTraceParentSize) return std::nullopt;
  } else if (v.size() > kTraceParentSize && v[kTraceParentSize] != '-') {
    return std::nullopt;  // a future version may only append "-..." fields
  }
  auto trace_id = TraceId::FromHex(v.substr(3, 32));
  auto span_id = SpanId::FromHex(v.substr(36, 16));
  uint8_t flags;
  if (!trace_id || !span_id ||
      !detail::DecodeLowerHex(v.substr(53, 2), &flags, 1) ||
      !trace_id->IsValid() || !span_id->IsValid()) {
    return std::nullopt;
  }
  return SpanContext(
      *trace_id, *span_id,
      static_cast<uint8_t>(flags & (kTraceFlagSampled | kTraceFlagRandom)),
      /*remote=*/true);
}

void FormatTraceParent(const SpanContext& context, char* out) noexcept {
  std::memcpy(out, "00-", 3);
  context.trace_id().ToHex(out + 3);
  out[35] = '-';
  context.span_id().ToHex(out + 36);
  out[52] = '-';
  const uint8_t flags =
      context.flags() & (kTraceFlagSampled | kTraceFlagRandom);
  detail::EncodeHex(&flags, 1, out + 53);
}

void TraceContextPropagator::Inject(const Context& context,
                                    TextMapCarrier& carrier) const noexcept {
  const SpanContext& span_context = context.span_context;
  if (!span_context.IsValid()) return;
  try {
    char traceparent[kTraceParentSize];
    FormatTraceParent(span_context, traceparent);
    carrier.Set(kTraceParent, std::string_view(traceparent, kTraceParentSize));
    if (span_context.trace_state().empty()) {
      carrier.Remove(
          kTraceState);  // rule 16: omit, and never leave a stale one behind
    } else {
      carrier.Set(kTraceState, span_context.trace_state().header());
    }
  } catch (
      ...) {  // a carrier that cannot allocate: the record goes out untraced
  }
}

Context TraceContextPropagator::Extract(const TextMapCarrier& carrier,
                                        Context base) const noexcept {
  try {
    int count = 0;
    std::string_view traceparent;
    carrier.Get(kTraceParent, [&](std::string_view value) {
      if (++count == 1) traceparent = value;
    });
    if (count != 1)
      return base;  // rule 2: none, or more than one, means restart
    auto parsed = ParseTraceParent(traceparent);
    if (!parsed) return base;

    // Rule 7: combine every tracestate field line in order; empty lines add
    // nothing.
    std::string combined;
    int lines = 0;
    std::string_view single;
    carrier.Get(kTraceState, [&](std::string_view value) {
      if (++lines == 1) single = value;
      if (lines > 1) combined += ',';
      combined.append(value);
    });
    TraceState trace_state;
    if (lines > 0) {
      auto state =
          TraceState::Parse(lines == 1 ? single : std::string_view(combined));
      if (state)
        trace_state = std::move(*state);  // rule 10: invalid means drop it all
    }
    base.span_context =
        SpanContext(parsed->trace_id(), parsed->span_id(), parsed->flags(),
                    /*remote=*/true, std::move(trace_state));
    return base;
  } catch (...) {
    return base;
  }
}

const std::vector<std::string>& TraceContextPropagator::Fields()
    const noexcept {
  static const std::vector<std::string> kFields = {std::string(kTraceParent),
                                                   std::string(kTraceState)};
  return kFields;
}

}  // namespace kafkatrace
