// TraceId and SpanId: the W3C/OpenTelemetry identifiers, 16 and 8 bytes, with
// lowercase hex encoding. An all-zero id is invalid. Trace flags bits are
// defined here too. Thread-safety: plain values.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kafkatrace {

// W3C trace-flags bits kafkatrace understands; every other bit is dropped on
// extraction.
inline constexpr uint8_t kTraceFlagSampled = 0x01;
inline constexpr uint8_t kTraceFlagRandom =
    0x02;  // Level 2: trace-id is random

namespace detail {
// Writes 2*n lowercase hex digits of `bytes` to `out`.
void EncodeHex(const uint8_t* bytes, size_t n, char* out) noexcept;

// Writes the 8 lowercase hex digits of 4 bytes, in one 64-bit register (SWAR):
// each byte is spread to its own 16-bit lane, split into nibbles (high one
// first in memory), and each nibble n becomes '0' + n, plus 39 when n >= 10
// (n + 6 carries into bit 4 exactly then).
[[gnu::always_inline]] inline void EncodeHex4(const uint8_t* bytes,
                                              char* out) noexcept {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  uint32_t b;
  std::memcpy(&b, bytes, 4);
  uint64_t v = b;
  v = (v | (v << 16)) & 0x0000FFFF0000FFFFull;
  v = (v | (v << 8)) & 0x00FF00FF00FF00FFull;
  const uint64_t nibbles =
      ((v >> 4) & 0x000F000F000F000Full) | ((v & 0x000F000F000F000Full) << 8);
  const uint64_t letters = ((nibbles + kOnes * 6) >> 4) & kOnes;
  const uint64_t ascii = nibbles + kOnes * '0' + letters * ('a' - '0' - 10);
  std::memcpy(out, &ascii, 8);
}

#if defined(__SSE2__)
// Each byte of `nibbles` (0-15) as its lowercase hex digit.
[[gnu::always_inline]] inline __m128i HexDigits(__m128i nibbles) noexcept {
  const __m128i letters = _mm_and_si128(
      _mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
  return _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
}
// The high and low nibbles of each byte of `v`, each in its own byte.
[[gnu::always_inline]] inline void SplitNibbles(__m128i v, __m128i& high,
                                                __m128i& low) noexcept {
  const __m128i mask = _mm_set1_epi8(0x0F);
  high = _mm_and_si128(_mm_srli_epi16(v, 4), mask);
  low = _mm_and_si128(v, mask);
}
#endif

// Writes the 2*N lowercase hex digits of an N-byte id (N = 8 or 16). With SSE2
// (every x86-64) 16 digits take a handful of vector instructions: nibbles are
// interleaved high-first by unpacking, then mapped to ASCII in parallel; this
// runs once per injected traceparent.
template <size_t N>
[[gnu::always_inline]] inline void EncodeIdHex(const uint8_t* bytes,
                                               char* out) noexcept {
  static_assert(N == 8 || N == 16);
#if defined(__SSE2__)
  __m128i high, low;
  if constexpr (N == 16) {
    SplitNibbles(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)), high,
                 low);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16),
                     HexDigits(_mm_unpackhi_epi8(high, low)));
  } else {
    SplitNibbles(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes)), high,
                 low);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out),
                   HexDigits(_mm_unpacklo_epi8(high, low)));
#else
  for (size_t i = 0; i < N; i += 4) EncodeHex4(bytes + i, out + 2 * i);
#endif
}

// 0-15 for '0'-'9' and 'a'-'f'; 0xFF for everything else, uppercase included.
inline constexpr auto kLowerHexValues = [] {
  std::array<uint8_t, 256> values{};
  for (auto& v : values) v = 0xFF;
  for (int c = '0'; c <= '9'; ++c) values[c] = static_cast<uint8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    values[c] = static_cast<uint8_t>(c - 'a' + 10);
  return values;
}();

// Decodes 8 lowercase hex digits (read little-endian from `p`) into 4 bytes, 8
// characters at a time in one 64-bit register (SWAR); false if any is not
// [0-9a-f]. Per byte x < 0x80, x + (0x80 - lo) sets the top bit iff x >= lo
// and x + (0x7F - hi) sets it iff x > hi, with no carry into the next byte.
[[gnu::always_inline]] inline bool DecodeLowerHex8(const char* p,
                                                   uint8_t* out) noexcept {
  static_assert(std::endian::native == std::endian::little);
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = kOnes * 0x80;
  uint64_t v;
  std::memcpy(&v, p, 8);
  const uint64_t digit =
      (v + kOnes * (0x80 - '0')) & ~(v + kOnes * (0x7F - '9'));
  const uint64_t lower =
      (v + kOnes * (0x80 - 'a')) & ~(v + kOnes * (0x7F - 'f'));
  if (((digit | lower) & kHigh) != kHigh || (v & kHigh) != 0) return false;
  // '0'-'9' -> 0-9 and 'a'-'f' -> 10-15: low nibble, plus 9 for letters (the
  // only ones with bit 6 set).
  const uint64_t nibbles = (v & kOnes * 0x0F) + 9 * ((v >> 6) & kOnes);
  // Byte 2i becomes (nibble 2i << 4) | nibble 2i+1; keep the even bytes.
  const uint64_t pairs = (nibbles << 4) | (nibbles >> 8);
  const uint32_t packed = static_cast<uint32_t>(
      (pairs & 0xFF) | ((pairs >> 8) & 0xFF00) | ((pairs >> 16) & 0xFF0000) |
      ((pairs >> 24) & 0xFF000000));
  std::memcpy(out, &packed, 4);
  return true;
}

// Decodes 16 lowercase hex digits at `p` into 8 bytes; false if any is not
// [0-9a-f]. With SSE2 (every x86-64) all 16 are checked and converted at once:
// signed compares put bytes >= 0x80 below '0'; each 16-bit lane holds a
// (high, low) digit pair, combined into one byte and packed. Otherwise two
// DecodeLowerHex8.
[[gnu::always_inline]] inline bool DecodeLowerHex16(const char* p,
                                                    uint8_t* out) noexcept {
#if defined(__SSE2__)
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i digit =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  const __m128i letter =
      _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
                    _mm_cmplt_epi8(v, _mm_set1_epi8('f' + 1)));
  const bool valid = _mm_movemask_epi8(_mm_or_si128(digit, letter)) == 0xFFFF;
  // '0'-'9' -> 0-9 and 'a'-'f' -> 10-15: low nibble, plus 9 for letters.
  const __m128i nibbles = _mm_add_epi8(_mm_and_si128(v, _mm_set1_epi8(0x0F)),
                                       _mm_and_si128(letter, _mm_set1_epi8(9)));
  const __m128i pairs = _mm_or_si128(
      _mm_and_si128(_mm_slli_epi16(nibbles, 4), _mm_set1_epi16(0x00F0)),
      _mm_srli_epi16(nibbles, 8));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out),
                   _mm_packus_epi16(pairs, pairs));
  return valid;
#else
  return DecodeLowerHex8(p, out) & DecodeLowerHex8(p + 8, out + 4);
#endif
}

// Decodes exactly 2*n lowercase hex digits; false on any other character.
// Inline and branch-free per byte: it sits on the per-record extraction path.
inline bool DecodeLowerHex(std::string_view hex, uint8_t* out,
                           size_t n) noexcept {
  if (hex.size() != 2 * n) return false;
  const char* p = hex.data();
  if (n % 8 == 0) {  // ids: whole 16-digit chunks
    bool ok = true;
    for (size_t i = 0; i < n; i += 8)
      ok &= DecodeLowerHex16(p + 2 * i, out + i);
    return ok;
  }
  if (n % 4 == 0) {
    bool ok = true;
    for (size_t i = 0; i < n; i += 4) ok &= DecodeLowerHex8(p + 2 * i, out + i);
    return ok;
  }
  uint8_t invalid = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t hi = kLowerHexValues[static_cast<uint8_t>(p[2 * i])];
    const uint8_t lo = kLowerHexValues[static_cast<uint8_t>(p[2 * i + 1])];
    invalid |= static_cast<uint8_t>((hi | lo) & 0xF0);
    out[i] = static_cast<uint8_t>((hi << 4) | (lo & 0x0F));
  }
  return invalid == 0;
}
}  // namespace detail

template <size_t N>
class Id {
  static_assert(N % 8 == 0, "ids are whole 64-bit words");

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
    // Whole words: a byte loop ran all 16 iterations for the (common) empty
    // parent context of a root span.
    uint64_t any = 0;
    for (size_t i = 0; i < N; i += 8) {
      uint64_t word;
      std::memcpy(&word, bytes_.data() + i, 8);
      any |= word;
    }
    return any != 0;
  }
  void ToHex(char* out) const noexcept {
    detail::EncodeIdHex<N>(bytes_.data(), out);
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
