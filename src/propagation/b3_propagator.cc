#include "kafkatrace/propagation/b3_propagator.h"

#include <optional>

namespace kafkatrace {
namespace {

std::optional<std::string_view> GetSingle(const TextMapCarrier& carrier,
                                          std::string_view key) {
  std::optional<std::string_view> found;
  int count = 0;
  carrier.Get(key, [&](std::string_view value) {
    if (++count == 1) found = value;
  });
  if (count != 1) return std::nullopt;
  return found;
}

// B3 allows 64-bit trace ids; they are left-padded to 128 bits.
std::optional<TraceId> ParseB3TraceId(std::string_view hex) {
  if (hex.size() == 32) return TraceId::FromHex(hex);
  if (hex.size() != 16) return std::nullopt;
  std::string padded(16, '0');
  padded.append(hex);
  return TraceId::FromHex(padded);
}

}  // namespace

B3Propagator::B3Propagator(Encoding encoding) : encoding_(encoding) {}

void B3Propagator::Inject(const Context& context,
                          TextMapCarrier& carrier) const noexcept {
  const SpanContext& sc = context.span_context;
  if (!sc.IsValid()) return;
  try {
    const char* sampled = sc.sampled() ? "1" : "0";
    if (encoding_ == Encoding::kSingleHeader) {
      carrier.Set("b3", sc.trace_id().ToHex() + "-" + sc.span_id().ToHex() +
                            "-" + sampled);
    } else {
      carrier.Set("X-B3-TraceId", sc.trace_id().ToHex());
      carrier.Set("X-B3-SpanId", sc.span_id().ToHex());
      carrier.Set("X-B3-Sampled", sampled);
    }
  } catch (...) {
  }
}

Context B3Propagator::Extract(const TextMapCarrier& carrier,
                              Context base) const noexcept {
  try {
    std::optional<TraceId> trace_id;
    std::optional<SpanId> span_id;
    bool sampled = false;
    if (auto single = GetSingle(carrier, "b3")) {
      // {trace}-{span}[-{sampling}[-{parent}]]; a lone sampling flag carries no
      // context.
      std::string_view v = *single;
      size_t dash = v.find('-');
      if (dash == std::string_view::npos) return base;
      trace_id = ParseB3TraceId(v.substr(0, dash));
      v.remove_prefix(dash + 1);
      dash = v.find('-');
      span_id = SpanId::FromHex(v.substr(0, dash));
      if (dash != std::string_view::npos) {
        std::string_view rest = v.substr(dash + 1);
        std::string_view flag = rest.substr(0, rest.find('-'));
        if (flag != "0" && flag != "1" && flag != "d") return base;
        sampled = flag == "1" || flag == "d";
      }
    } else {
      auto t = GetSingle(carrier, "x-b3-traceid");
      auto s = GetSingle(carrier, "x-b3-spanid");
      if (!t || !s) return base;
      trace_id = ParseB3TraceId(*t);
      span_id = SpanId::FromHex(*s);
      auto flag = GetSingle(carrier, "x-b3-sampled");
      auto debug = GetSingle(carrier, "x-b3-flags");
      sampled = (flag && (*flag == "1" || *flag == "true")) ||
                (debug && *debug == "1");
    }
    if (!trace_id || !span_id || !trace_id->IsValid() || !span_id->IsValid())
      return base;
    base.span_context = SpanContext(
        *trace_id, *span_id, sampled ? kTraceFlagSampled : 0, /*remote=*/true);
  } catch (...) {
  }
  return base;
}

const std::vector<std::string>& B3Propagator::Fields() const noexcept {
  static const std::vector<std::string> kSingle = {"b3"};
  static const std::vector<std::string> kMulti = {"x-b3-traceid", "x-b3-spanid",
                                                  "x-b3-sampled", "x-b3-flags"};
  return encoding_ == Encoding::kSingleHeader ? kSingle : kMulti;
}

}  // namespace kafkatrace
