#include "kafkatrace/propagation/baggage_propagator.h"

#include <gtest/gtest.h>

namespace kafkatrace {
namespace {

TEST(BaggageTest, ParsesMembersPropertiesAndPercentEncoding) {
  Baggage b = ParseBaggage(
      " user.id = 42 ,region=eu%20west;ttl=30 ; x, flag=%E2%9C%93");
  EXPECT_EQ(b.Get("user.id"), "42");
  EXPECT_EQ(b.Get("region"), "eu west");
  EXPECT_EQ(b.entries()[1].metadata, "ttl=30 ; x");
  EXPECT_EQ(b.Get("flag"), "\xE2\x9C\x93");
}

TEST(BaggageTest, CopiesShareEntriesAndChangesMakeNewOnes) {
  const Baggage empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_TRUE(empty.entries().empty());
  const Baggage one = empty.With("user", "a").With("tier", "gold");
  const Baggage copy = one;  // as each ContextScope copies its Context
  EXPECT_EQ(&copy.entries(), &one.entries());
  const Baggage changed = copy.With("user", "b");
  EXPECT_EQ(one.Get("user"), "a");  // the original is untouched
  EXPECT_EQ(changed.Get("user"), "b");
  EXPECT_EQ(changed.entries().size(), 2u);
  EXPECT_NE(changed, one);
  EXPECT_EQ(one, Baggage().With("user", "a").With("tier", "gold"));
  const Baggage fewer = one.Without("user");
  EXPECT_EQ(fewer.entries().size(), 1u);
  EXPECT_EQ(one.entries().size(), 2u);
  EXPECT_TRUE(fewer.Without("tier").empty());
  EXPECT_EQ(fewer.Without("tier"), Baggage());
}

TEST(BaggageTest, MalformedMembersAreSkipped) {
  Baggage b =
      ParseBaggage("good=1,novalue,bad key=2,=3,pct=%zz,quote=\"x\",ok=2");
  ASSERT_EQ(b.entries().size(), 2u);
  EXPECT_EQ(b.Get("good"), "1");
  EXPECT_EQ(b.Get("ok"), "2");
}

TEST(BaggageTest, FormatPercentEncodesAndRoundTrips) {
  Baggage b = Baggage().With("k", "a b,c;d%e\"\\").With("unicode", "\xC3\xA9");
  std::string header = FormatBaggage(b);
  EXPECT_EQ(header, "k=a%20b%2Cc%3Bd%25e%22%5C,unicode=%C3%A9");
  EXPECT_EQ(ParseBaggage(header), b);
}

TEST(BaggageTest, MemberLimitOnExtractAndInject) {
  std::string header;
  Baggage big;
  for (int i = 0; i < 100; ++i) {
    const std::string number = std::to_string(i);
    const std::string key = "k" + number;
    if (i > 0) header += ',';
    header += key + "=v";
    big = big.With(key, "v");
  }
  EXPECT_EQ(ParseBaggage(header).entries().size(), kBaggageMaxMembers);
  Baggage reparsed = ParseBaggage(FormatBaggage(big));
  EXPECT_EQ(reparsed.entries().size(), kBaggageMaxMembers);
}

TEST(BaggageTest, ByteLimitOnExtractAndInject) {
  std::string value(3000, 'x');
  Baggage b = Baggage()
                  .With("a", value)
                  .With("b", value)
                  .With("c", value)
                  .With("d", "small");
  std::string header = FormatBaggage(b);
  EXPECT_LE(header.size(), kBaggageMaxBytes);
  Baggage back = ParseBaggage(header);
  EXPECT_EQ(back.Get("a"), value);
  EXPECT_EQ(back.Get("b"), value);
  EXPECT_FALSE(back.Get("c").has_value());  // did not fit
  EXPECT_EQ(back.Get("d"), "small");        // a later small member still fits
  std::string oversized = "a=" + value + ",b=" + value + ",c=" + value;
  Baggage cut = ParseBaggage(oversized);
  EXPECT_EQ(cut.entries().size(), 2u);
}

TEST(BaggagePropagatorTest, InjectExtractAndMultipleHeaders) {
  BaggagePropagator propagator;
  HeaderListCarrier carrier;
  propagator.Inject(Context{{}, Baggage().With("a", "1")}, carrier);
  EXPECT_EQ(carrier.headers(),
            (HeaderListCarrier::Headers{{"baggage", "a=1"}}));
  carrier.Add("Baggage", "b=2");
  Context ctx = propagator.Extract(carrier, Context{});
  EXPECT_EQ(ctx.baggage.Get("a"), "1");
  EXPECT_EQ(ctx.baggage.Get("b"), "2");
  HeaderListCarrier empty;
  propagator.Inject(Context{}, empty);
  EXPECT_TRUE(empty.headers().empty());
}

}  // namespace
}  // namespace kafkatrace
