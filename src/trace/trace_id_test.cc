#include "kafkatrace/trace_id.h"

#include <gtest/gtest.h>

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

TEST(TraceIdTest, AllZeroIsInvalid) {
  auto id = SpanId::FromHex("0000000000000000");
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(id->IsValid());
  EXPECT_FALSE(TraceId().IsValid());
}

}  // namespace
}  // namespace kafkatrace
