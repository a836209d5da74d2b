// utf8::SequenceLength / IsValid / AppendRepaired against a reference built
// the other way round: a sequence is well-formed exactly when it is the
// encoding of a Unicode scalar value (Unicode 15, D92), so every candidate is
// decoded by its bit pattern alone, re-encoded, and compared.
#include "common/utf8.h"

#include <gtest/gtest.h>

#include <optional>

namespace kafkatrace::utf8 {
namespace {

// The UTF-8 encoding of scalar value `cp`.
std::string Encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Whether `bytes` is one well-formed sequence: the payload bits of an
// n-byte pattern, re-encoded, must give back the same bytes, and name a
// scalar value (not a surrogate, not past U+10FFFF).
bool IsOneScalarValue(const std::string& bytes) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  const size_t n = bytes.size();
  uint32_t cp;
  if (n == 1) {
    cp = b(0);
  } else if (n == 2) {
    cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  } else if (n == 3) {
    cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  } else {
    cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) |
         (b(3) & 0x3F);
  }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  return Encode(cp) == bytes;
}

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out += static_cast<char>(b);
  return out;
}

TEST(Utf8Test, EveryOneAndTwoByteSequenceAgainstTheReference) {
  for (int a = 0; a < 256; ++a) {
    const std::string one = Bytes({a});
    EXPECT_EQ(SequenceLength(one, 0), IsOneScalarValue(one) ? 1u : 0u) << a;
    for (int b = 0; b < 256; ++b) {
      const std::string two = Bytes({a, b});
      const size_t expected = a < 0x80 ? 1 : IsOneScalarValue(two) ? 2 : 0;
      ASSERT_EQ(SequenceLength(two, 0), expected) << a << " " << b;
    }
  }
}

TEST(Utf8Test, EveryThreeByteSequenceAgainstTheReference) {
  for (int a = 0xE0; a <= 0xEF; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c = 0; c < 256; ++c) {
        const std::string three = Bytes({a, b, c});
        ASSERT_EQ(SequenceLength(three, 0), IsOneScalarValue(three) ? 3u : 0u)
            << a << " " << b << " " << c;
      }
    }
  }
}

TEST(Utf8Test, FourByteSequencesAtEveryBoundaryAgainstTheReference) {
  // Every lead byte from F0, every second byte, and the third and fourth at
  // the edges of the continuation range.
  const int edges[] = {0x00, 0x7F, 0x80, 0x81, 0xBE, 0xBF, 0xC0, 0xFF};
  int valid = 0;
  for (int a = 0xF0; a <= 0xFF; ++a) {
    for (int b = 0; b < 256; ++b) {
      for (int c : edges) {
        for (int d : edges) {
          const std::string four = Bytes({a, b, c, d});
          const bool expected = a <= 0xF7 && IsOneScalarValue(four);
          valid += expected;
          ASSERT_EQ(SequenceLength(four, 0), expected ? 4u : 0u)
              << a << " " << b << " " << c << " " << d;
        }
      }
    }
  }
  // F0 90-BF, F1-F3 80-BF, F4 80-8F, each with 4 x 4 continuations.
  EXPECT_EQ(valid, (48 + 3 * 64 + 16) * 16);
}

TEST(Utf8Test, TheClassicMalformations) {
  struct Case {
    std::string bytes;
    bool valid;
  } cases[] = {
      {"", true},
      {"plain ascii", true},
      {"caf\xC3\xA9", true},            // é
      {"\xE2\x82\xAC", true},           // €
      {"\xF0\x9F\x98\x80", true},       // 😀
      {"\xF4\x8F\xBF\xBF", true},       // U+10FFFF
      {"\xEF\xBF\xBD", true},           // U+FFFD itself
      {"\xED\x9F\xBF", true},           // U+D7FF, before surrogates
      {"\xEE\x80\x80", true},           // U+E000, after them
      {"\xC0\xAF", false},              // overlong '/'
      {"\xC1\xBF", false},              // overlong
      {"\xE0\x80\xAF", false},          // overlong
      {"\xF0\x80\x80\xAF", false},      // overlong
      {"\xED\xA0\x80", false},          // U+D800
      {"\xED\xBF\xBF", false},          // U+DFFF
      {"\xF4\x90\x80\x80", false},      // U+110000
      {"\xF8\x88\x80\x80\x80", false},  // old 5-byte form
      {"\x80", false},                  // lone continuation
      {"\xBF", false},                  // lone continuation
      {"\xC3", false},                  // truncated at the end
      {"\xE2\x82", false},              // truncated at the end
      {"\xF0\x9F\x98", false},          // truncated at the end
      {"\xE2\x82"
       "a",
       false},                                 // cut short by ASCII
      {"\xFE", false},                         //
      {"\xFF", false},                         //
      {std::string("nul\0inside", 10), true},  // NUL is a scalar value
  };
  for (const Case& c : cases) {
    EXPECT_EQ(IsValid(c.bytes), c.valid) << ::testing::PrintToString(c.bytes);
  }
}

// IsValid steps 16 and 8 bytes at a time through ASCII: one non-ASCII byte
// must be found at any offset, in any length of string, and a well-formed
// sequence must be accepted wherever it falls across those steps.
TEST(Utf8Test, ABadOrGoodSequenceIsSeenAtEveryOffset) {
  for (size_t length = 1; length <= 48; ++length) {
    for (size_t at = 0; at < length; ++at) {
      std::string text(length, 'a');
      text[at] = '\x80';
      EXPECT_FALSE(IsValid(text)) << length << " " << at;
      text[at] = '\xFF';
      EXPECT_FALSE(IsValid(text)) << length << " " << at;
      if (at + 3 <= length) {
        text.replace(at, 3, "\xE2\x82\xAC");
        EXPECT_TRUE(IsValid(text)) << length << " " << at;
        text[at + 2] = 'x';  // the euro sign cut short
        EXPECT_FALSE(IsValid(text)) << length << " " << at;
      }
    }
  }
}

TEST(Utf8Test, RepairReplacesEachBadByteAndKeepsTheRest) {
  const std::string kReplacement = "\xEF\xBF\xBD";
  const auto repaired = [](std::string_view s) {
    std::string out = "<";
    AppendRepaired(out, s);
    return out;
  };
  EXPECT_EQ(repaired("caf\xC3\xA9"), "<caf\xC3\xA9");
  EXPECT_EQ(repaired("a\xFF"
                     "b"),
            "<a" + kReplacement + "b");
  // A truncated sequence: each of its bytes is replaced.
  EXPECT_EQ(repaired("\xE2\x82"), "<" + kReplacement + kReplacement);
  // A surrogate: three replacements; the valid € after it is kept.
  EXPECT_EQ(repaired("\xED\xA0\x80\xE2\x82\xAC"),
            "<" + kReplacement + kReplacement + kReplacement + "\xE2\x82\xAC");
  EXPECT_EQ(repaired(std::string("\x00\x01", 2)), std::string("<\x00\x01", 3));
  for (int b = 0; b < 256; ++b) {
    EXPECT_TRUE(IsValid(repaired(Bytes({b, 0xC3, b, 0xE2, 0x82, b})))) << b;
  }
}

TEST(Utf8Test, ValidCopiesOnlyWhatItRepairs) {
  std::string storage;
  const std::string good = "text \xE2\x82\xAC";
  EXPECT_EQ(Valid(good, storage).data(), good.data());
  EXPECT_TRUE(storage.empty());
  const std::string bad = "x\xC0";
  const std::string_view fixed = Valid(bad, storage);
  EXPECT_EQ(fixed.data(), storage.data());
  EXPECT_EQ(fixed, "x\xEF\xBF\xBD");
}

}  // namespace
}  // namespace kafkatrace::utf8
