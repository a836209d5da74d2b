#include "kafkatrace/trace_id.h"

#include <array>

namespace kafkatrace::detail {
namespace {

// Two lowercase hex digits per byte value: one table lookup per byte.
constexpr std::array<char, 512> MakeHexPairs() {
  constexpr char kDigits[] = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (int i = 0; i < 256; ++i) {
    pairs[2 * i] = kDigits[i >> 4];
    pairs[2 * i + 1] = kDigits[i & 0xF];
  }
  return pairs;
}
constexpr std::array<char, 512> kHexPairs = MakeHexPairs();

// 0-15 for '0'-'9' and 'a'-'f'; 0xFF for everything else (uppercase included).
constexpr std::array<uint8_t, 256> MakeLowerHexValues() {
  std::array<uint8_t, 256> values{};
  for (auto& v : values) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) values[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    values[c] = static_cast<uint8_t>(c - 'a' + 10);
  return values;
}
constexpr std::array<uint8_t, 256> kLowerHexValues = MakeLowerHexValues();

}  // namespace

void EncodeHex(const uint8_t* bytes, size_t n, char* out) noexcept {
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(out + 2 * i, &kHexPairs[2 * bytes[i]], 2);
  }
}

bool DecodeLowerHex(std::string_view hex, uint8_t* out, size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  uint8_t invalid = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t hi = kLowerHexValues[static_cast<uint8_t>(hex[2 * i])];
    uint8_t lo = kLowerHexValues[static_cast<uint8_t>(hex[2 * i + 1])];
    invalid |= (hi | lo) & 0xF0;  // branch-free: any 0xFF marks the input bad
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return invalid == 0;
}

}  // namespace kafkatrace::detail
