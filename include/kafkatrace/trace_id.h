// TraceId and SpanId: the W3C/OpenTelemetry identifiers, 16 and 8 bytes, with
// lowercase hex encoding. An all-zero id is invalid. Trace flags bits are
// defined here too. Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kafkatrace {

// W3C trace-flags bits kafkatrace understands; every other bit is dropped on
// extraction.
inline constexpr uint8_t kTraceFlagSampled = 0x01;
inline constexpr uint8_t kTraceFlagRandom =
    0x02;  // Level 2: trace-id is random

namespace detail {
// Writes 2*n lowercase hex digits of `bytes` to `out`.
void EncodeHex(const uint8_t* bytes, size_t n, char* out) noexcept;

// 0-15 for '0'-'9' and 'a'-'f'; 0xFF for everything else, uppercase included.
inline constexpr auto kLowerHexValues = [] {
  std::array<uint8_t, 256> values{};
  for (auto& v : values) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) values[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    values[c] = static_cast<uint8_t>(c - 'a' + 10);
  return values;
}();

// Decodes exactly 2*n lowercase hex digits; false on any other character.
// Inline and branch-free per byte: it sits on the per-record extraction path.
inline bool DecodeLowerHex(std::string_view hex, uint8_t* out,
                           size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  uint8_t invalid = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t hi = kLowerHexValues[static_cast<uint8_t>(hex[2 * i])];
    const uint8_t lo = kLowerHexValues[static_cast<uint8_t>(hex[2 * i + 1])];
    invalid |= static_cast<uint8_t>((hi | lo) & 0xF0);
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return invalid == 0;
}
}  // namespace detail

template <size_t N>
class Id {
 public:
  static constexpr size_t kSize = N;
  static constexpr size_t kHexSize = 2 * N;

  constexpr Id() = default;  // all zeros: invalid
  explicit Id(std::span<const uint8_t, N> bytes) {
    std::memcpy(bytes_.data(), bytes.data(), N);
  }

  // Parses exactly kHexSize lowercase hex digits. Uppercase is rejected, as W3C
  // requires.
  static std::optional<Id> FromHex(std::string_view hex) noexcept {
    Id id;
    if (hex.size() != kHexSize ||
        !detail::DecodeLowerHex(hex, id.bytes_.data(), N)) {
      return std::nullopt;
    }
    return id;
  }

  bool IsValid() const noexcept {
    for (uint8_t b : bytes_) {
      if (b != 0) return true;
    }
    return false;
  }
  void ToHex(char* out) const noexcept {
    detail::EncodeHex(bytes_.data(), N, out);
  }
  std::string ToHex() const {
    std::string s(kHexSize, '0');
    ToHex(s.data());
    return s;
  }
  std::span<const uint8_t, N> bytes() const { return bytes_; }
  uint8_t* mutable_data() { return bytes_.data(); }

  friend bool operator==(const Id&, const Id&) = default;

 private:
  std::array<uint8_t, N> bytes_{};
};

using TraceId = Id<16>;
using SpanId = Id<8>;

}  // namespace kafkatrace
