// UTF-8 well-formedness. OTel attribute strings and every proto3 `string`
// field of OTLP must be UTF-8: strict decoders (protobuf-go, Java, upb) reject
// the whole request over one bad byte, so one span's binary Kafka key would
// lose a batch of 512 spans. Kafka keys, topic names and client configuration
// are arbitrary bytes, so anything that crosses into a string is checked here.
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
// The rest of IsValid, from the first byte at or after `i` that is not ASCII.
bool IsValidFrom(std::string_view s, size_t i) noexcept;
}  // namespace detail

// Whether `s` is well-formed UTF-8. Inline: it runs on every string an
// exporter writes, and nearly all of them are ASCII, checked 16 (or 8) bytes
// per step.
inline bool IsValid(std::string_view s) noexcept {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    if (_mm_movemask_epi8(v) != 0) return detail::IsValidFrom(s, i);
  }
#endif
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if ((word & 0x8080808080808080ull) != 0) return detail::IsValidFrom(s, i);
  }
  for (; i < n; ++i) {
    if (static_cast<unsigned char>(p[i]) >= 0x80)
      return detail::IsValidFrom(s, i);
  }
  return true;
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
