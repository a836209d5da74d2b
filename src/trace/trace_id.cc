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

}  // namespace

void EncodeHex(const uint8_t* bytes, size_t n, char* out) noexcept {
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(out + 2 * i, &kHexPairs[2 * bytes[i]], 2);
  }
}

}  // namespace kafkatrace::detail
