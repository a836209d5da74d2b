#include "kafkatrace/trace_id.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>

namespace kafkatrace {
namespace {

TEST(TraceIdTest, HexRoundTrip) {
  auto id = TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(id->IsValid());
  EXPECT_EQ(id->ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(id->bytes()[0], 0x4b);
  EXPECT_EQ(id->bytes()[15], 0x36);
}

TEST(TraceIdTest, RejectsUppercaseWrongLengthAndNonHex) {
  EXPECT_FALSE(TraceId::FromHex("4BF92F3577B34DA6A3CE929D0E0E4736"));
  EXPECT_FALSE(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e473"));
  EXPECT_FALSE(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e47361"));
  EXPECT_FALSE(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e473g"));
  EXPECT_FALSE(SpanId::FromHex("00f067aa0ba902b "));
}

// A chunked hex decoder (`kDigits` digits at a time) against a per-character
// reference: every byte value in every position of a chunk of valid digits.
template <size_t kDigits, typename Decode>
void ExpectDecoderMatchesPerCharacterRules(Decode decode, const char* digits) {
  for (size_t position = 0; position < kDigits; ++position) {
    for (int c = 0; c < 256; ++c) {
      char chunk[kDigits];
      std::memcpy(chunk, digits, kDigits);
      chunk[position] = static_cast<char>(c);
      const bool valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      uint8_t out[kDigits / 2];
      ASSERT_EQ(decode(chunk, out), valid)
          << "byte " << c << " at " << position;
      if (!valid) continue;
      for (size_t i = 0; i < kDigits / 2; ++i) {
        const int
            hi = detail::kLowerHexValues[static_cast<uint8_t>(chunk[2 * i])],
            lo =
                detail::kLowerHexValues[static_cast<uint8_t>(chunk[2 * i + 1])];
        ASSERT_EQ(out[i], hi * 16 + lo) << position << " " << c;
      }
    }
  }
}

TEST(TraceIdTest, WordAtATimeHexDecodeMatchesPerCharacterRules) {
  ExpectDecoderMatchesPerCharacterRules<8>(
      [](const char* in, uint8_t* out) {
        return detail::DecodeLowerHex8(in, out);
      },
      "09afc3e7");
}

// The 16-at-a-time decoder (SSE2 on x86-64) likewise.
TEST(TraceIdTest, SixteenAtATimeHexDecodeMatchesPerCharacterRules) {
  ExpectDecoderMatchesPerCharacterRules<16>(
      [](const char* in, uint8_t* out) {
        return detail::DecodeLowerHex16(in, out);
      },
      "09afc3e7b1d28f46");
}

TEST(TraceIdTest, WordAtATimeHexEncodeMatchesEveryByteValue) {
  for (int b = 0; b < 256; ++b) {
    for (int position = 0; position < 4; ++position) {
      uint8_t bytes[4] = {0x00, 0x9a, 0xf0, 0x5c};
      bytes[position] = static_cast<uint8_t>(b);
      char out[8];
      detail::EncodeHex4(bytes, out);
      char expected[9];
      std::snprintf(expected, sizeof(expected), "%02x%02x%02x%02x", bytes[0],
                    bytes[1], bytes[2], bytes[3]);
      ASSERT_EQ(std::string(out, 8), expected);
    }
  }
}

// The vector encoder against printf, for every byte value at every position
// of both id sizes (the high/low unpack halves and the digit/letter boundary).
template <size_t N>
void ExpectIdHexMatchesPrintf() {
  for (int b = 0; b < 256; ++b) {
    for (size_t position = 0; position < N; ++position) {
      uint8_t bytes[N];
      for (size_t i = 0; i < N; ++i)
        bytes[i] = static_cast<uint8_t>(i * 37 + 9);
      bytes[position] = static_cast<uint8_t>(b);
      char out[2 * N];
      detail::EncodeIdHex<N>(bytes, out);
      std::string expected;
      for (size_t i = 0; i < N; ++i) {
        char digits[3];
        std::snprintf(digits, sizeof(digits), "%02x", bytes[i]);
        expected += digits;
      }
      ASSERT_EQ(std::string(out, 2 * N), expected) << b << " at " << position;
    }
  }
}

TEST(TraceIdTest, IdHexEncodeMatchesEveryByteValueAtEveryPosition) {
  ExpectIdHexMatchesPrintf<16>();
  ExpectIdHexMatchesPrintf<8>();
}

TEST(TraceIdTest, AllZeroIsInvalid) {
  auto id = SpanId::FromHex("0000000000000000");
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(id->IsValid());
  EXPECT_FALSE(TraceId().IsValid());
}

}  // namespace
}  // namespace kafkatrace
