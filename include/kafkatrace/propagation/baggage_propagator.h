// W3C Baggage propagation: the `baggage` header, percent-encoded values,
// properties kept. Limits (W3C): at most 64 members and 8192 bytes; on
// extraction members beyond them are dropped, on injection members that would
// not fit are left out. Thread-safety: stateless.
#pragma once

#include <string>
#include <string_view>

#include "kafkatrace/baggage.h"
#include "kafkatrace/propagation/text_map_propagator.h"

namespace kafkatrace {

inline constexpr size_t kBaggageMaxMembers = 64;
inline constexpr size_t kBaggageMaxBytes = 8192;

// Whether `key` may name a baggage member (a non-empty RFC 7230 token).
bool IsBaggageKey(std::string_view key) noexcept;
// Parses one or more combined baggage values; malformed members are skipped.
Baggage ParseBaggage(std::string_view header);
// Formats baggage as a header value within the limits.
std::string FormatBaggage(const Baggage& baggage);

class BaggagePropagator final : public TextMapPropagator {
 public:
  void Inject(const Context& context,
              TextMapCarrier& carrier) const noexcept override;
  Context Extract(const TextMapCarrier& carrier,
                  Context base) const noexcept override;
  const std::vector<std::string>& Fields() const noexcept override;
};

}  // namespace kafkatrace
