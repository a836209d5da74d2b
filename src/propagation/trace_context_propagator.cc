#include "kafkatrace/propagation/trace_context_propagator.h"

#include <array>
#include <cstring>

#include "common/text.h"

namespace kafkatrace {
namespace {

constexpr std::string_view kTraceParent = "traceparent";
constexpr std::string_view kTraceState = "tracestate";

}  // namespace

namespace {

// The fields of a traceparent value, without building a SpanContext (the
// extraction path constructs it once, in place).
// Inlined into its two callers: it sits on every consumed record's path.
[[gnu::always_inline]] inline bool ParseTraceParentFields(
    std::string_view value, TraceId& trace_id, SpanId& span_id,
    uint8_t& flags) noexcept {
  // A value of exactly the version-00 size needs no trimming: with OWS around
  // it, what is left would be too short anyway.
  std::string_view v = value.size() == kTraceParentSize
                           ? value
                           : text::TrimOws(value);  // rule 3
  if (v.size() < kTraceParentSize || v[2] != '-' || v[35] != '-' ||
      v[52] != '-') {
    return false;
  }
  const char* p = v.data();
  uint8_t version;
  if (!detail::DecodeLowerHex(v.substr(0, 2), &version, 1) || version == 0xFF) {
    return false;
  }
  if (version == 0x00) {
    if (v.size() != kTraceParentSize) return false;
  } else if (v.size() > kTraceParentSize && v[kTraceParentSize] != '-') {
    return false;  // a future version may only append "-..." fields
  }
  std::array<uint8_t, TraceId::kSize> trace;
  std::array<uint8_t, SpanId::kSize> span;
  // Every chunk is decoded (no early exit): one branch for all of them.
  bool hex = detail::DecodeLowerHex16(p + 3, &trace[0]);
  hex &= detail::DecodeLowerHex16(p + 19, &trace[8]);
  hex &= detail::DecodeLowerHex16(p + 36, &span[0]);
  hex &= detail::DecodeLowerHex(v.substr(53, 2), &flags, 1);
  trace_id = TraceId(std::span<const uint8_t, TraceId::kSize>(trace));
  span_id = SpanId(std::span<const uint8_t, SpanId::kSize>(span));
  flags &= kTraceFlagSampled | kTraceFlagRandom;
  return hex && trace_id.IsValid() && span_id.IsValid();
}

}  // namespace

std::optional<SpanContext> ParseTraceParent(std::string_view value) noexcept {
  TraceId trace_id;
  SpanId span_id;
  uint8_t flags;
  if (!ParseTraceParentFields(value, trace_id, span_id, flags))
    return std::nullopt;
  return SpanContext(trace_id, span_id, flags, /*remote=*/true);
}

void FormatTraceParent(const SpanContext& context, char* out) noexcept {
  std::memcpy(out, "00-", 3);
  context.trace_id().ToHex(out + 3);
  out[35] = '-';
  context.span_id().ToHex(out + 36);
  out[52] = '-';
  // Only the sampled and random bits are ever written: "00" to "03".
  out[53] = '0';
  out[54] = static_cast<char>(
      '0' + (context.flags() & (kTraceFlagSampled | kTraceFlagRandom)));
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

SpanContext TraceContextFromFields(
    int traceparent_lines, std::string_view first_traceparent,
    std::optional<std::string_view> tracestate) noexcept {
  if (traceparent_lines != 1)
    return {};  // rule 2: none, or more than one, means restart
  TraceId trace_id;
  SpanId span_id;
  uint8_t flags;
  if (!ParseTraceParentFields(first_traceparent, trace_id, span_id, flags))
    return {};
  TraceState trace_state;
  if (tracestate) {
    try {
      auto state = TraceState::Parse(*tracestate);
      if (state)
        trace_state = std::move(*state);  // rule 10: invalid means drop it all
    } catch (...) {  // out of memory: continue the trace without its state
    }
  }
  return SpanContext(trace_id, span_id, flags, /*remote=*/true,
                     std::move(trace_state));
}

Context TraceContextPropagator::Extract(const TextMapCarrier& carrier,
                                        Context base) const noexcept {
  try {
    int count = 0;
    std::string_view traceparent;
    carrier.Get(kTraceParent, [&](std::string_view value) {
      if (++count == 1) traceparent = value;
    });
    if (count != 1) return base;  // rule 2: no need to read tracestate
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
    std::optional<std::string_view> trace_state;
    if (lines > 0)
      trace_state = lines == 1 ? single : std::string_view(combined);
    SpanContext context =
        TraceContextFromFields(count, traceparent, trace_state);
    if (context.IsValid()) base.span_context = std::move(context);
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
