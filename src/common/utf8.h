// UTF-8 well-formedness. OTel attribute strings and every proto3 `string`
// field of OTLP must be UTF-8: strict decoders (protobuf-go, Java, upb) reject
// the whole request over one bad byte, so one span's binary Kafka key would
// lose a batch of 512 spans. Kafka keys and values, header values and client
// configuration are arbitrary bytes: whatever crosses into a string is checked.
// Stateless; safe from any thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace kafkatrace::utf8 {

// Length (1-4) of the well-formed sequence starting at s[i], or 0 if none
// starts there: no overlong forms, surrogates or code points past U+10FFFF
// (Unicode 15, table 3-7).
size_t SequenceLength(std::string_view s, size_t i) noexcept;

namespace detail {
// Whether s[i..] is well-formed: IsValid's way once a byte past ASCII is seen.
bool IsValidFrom(std::string_view s, size_t i) noexcept;

inline uint64_t Load64(const char* p) noexcept {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}
inline uint32_t Load32(const char* p) noexcept {
  uint32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

// Whether p[0..n) is all ASCII. Most strings an exporter writes are short
// (keys, topic names, ids), so lengths under 16 take one or two overlapping
// loads and no loop; longer ones OR 16-byte chunks together, the last chunk
// overlapping, and test the sign bits once.
[[gnu::always_inline]] inline bool IsAscii(const char* p, size_t n) noexcept {
  if (n >= 16) {
#if defined(__SSE2__)
    const auto load = [p](size_t at) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + at));
    };
    __m128i any = load(n - 16);
    for (size_t i = 0; i + 16 < n; i += 16) any = _mm_or_si128(any, load(i));
    return _mm_movemask_epi8(any) == 0;
#else
    uint64_t any = Load64(p + n - 8);
    for (size_t i = 0; i + 8 < n; i += 8) any |= Load64(p + i);
    return (any & 0x8080808080808080ull) == 0;
#endif
  }
  if (n >= 8) {
    return ((Load64(p) | Load64(p + n - 8)) & 0x8080808080808080ull) == 0;
  }
  if (n >= 4) return ((Load32(p) | Load32(p + n - 4)) & 0x80808080u) == 0;
  if (n == 0) return true;
  // 1 to 3 bytes: the first, the middle and the last cover them all.
  return ((p[0] | p[n / 2] | p[n - 1]) & 0x80) == 0;
}
}  // namespace detail

// Whether `s` is well-formed UTF-8. Inline: it runs on every string an
// exporter writes, and nearly all of them are ASCII.
[[gnu::always_inline]] inline bool IsValid(std::string_view s) noexcept {
  if (detail::IsAscii(s.data(), s.size())) [[likely]]
    return true;
  return detail::IsValidFrom(s, 0);
}

// Whether `a` and `b` are both well-formed: one branch when both are ASCII, as
// nearly every attribute's key and value are.
[[gnu::always_inline]] inline bool AreValid(std::string_view a,
                                            std::string_view b) noexcept {
  if (detail::IsAscii(a.data(), a.size()) & detail::IsAscii(b.data(), b.size()))
      [[likely]]
    return true;
  return detail::IsValidFrom(a, 0) && detail::IsValidFrom(b, 0);
}

// Appends `s` to `out` with each byte that does not start a well-formed
// sequence replaced by U+FFFD, as the JSON encoders write such bytes.
void AppendRepaired(std::string& out, std::string_view s);

// `s` itself when it is well-formed, else its repair, built in `storage`.
inline std::string_view Valid(std::string_view s, std::string& storage) {
  if (IsValid(s)) [[likely]]
    return s;
  storage.clear();
  AppendRepaired(storage, s);
  return storage;
}

}  // namespace kafkatrace::utf8
