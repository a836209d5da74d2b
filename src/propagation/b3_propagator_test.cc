#include "kafkatrace/propagation/b3_propagator.h"

#include <gtest/gtest.h>

namespace kafkatrace {
namespace {

const SpanContext kContext(
    TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
    SpanId::FromHex("00f067aa0ba902b7").value(), kTraceFlagSampled, false);

TEST(B3PropagatorTest, SingleHeaderRoundTrip) {
  B3Propagator propagator(B3Propagator::Encoding::kSingleHeader);
  HeaderListCarrier carrier;
  propagator.Inject(Context{kContext, {}}, carrier);
  EXPECT_EQ(
      carrier.headers(),
      (HeaderListCarrier::Headers{
          {"b3", "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"}}));
  Context back = propagator.Extract(carrier, Context{});
  EXPECT_EQ(back.span_context.trace_id(), kContext.trace_id());
  EXPECT_EQ(back.span_context.span_id(), kContext.span_id());
  EXPECT_TRUE(back.span_context.sampled());
  EXPECT_TRUE(back.span_context.remote());
}

TEST(B3PropagatorTest, MultiHeaderRoundTripAnd64BitIds) {
  B3Propagator propagator(B3Propagator::Encoding::kMultiHeader);
  HeaderListCarrier carrier;
  propagator.Inject(Context{kContext, {}}, carrier);
  EXPECT_EQ(carrier.headers().size(), 3u);
  EXPECT_EQ(propagator.Extract(carrier, Context{}).span_context.trace_id(),
            kContext.trace_id());

  HeaderListCarrier short_id({{"X-B3-TraceId", "a3ce929d0e0e4736"},
                              {"X-B3-SpanId", "00f067aa0ba902b7"},
                              {"X-B3-Flags", "1"}});
  Context ctx = propagator.Extract(short_id, Context{});
  EXPECT_EQ(ctx.span_context.trace_id().ToHex(),
            "0000000000000000a3ce929d0e0e4736");
  EXPECT_TRUE(ctx.span_context.sampled());  // debug implies sampled
}

TEST(B3PropagatorTest, MalformedInputGivesNoContext) {
  B3Propagator propagator;
  for (const char* bad :
       {"0", "d", "4bf92f3577b34da6a3ce929d0e0e4736",
        "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-x",
        "4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-1",
        "00000000000000000000000000000000-00f067aa0ba902b7-1"}) {
    SCOPED_TRACE(bad);
    HeaderListCarrier carrier(HeaderListCarrier::Headers{{"b3", bad}});
    EXPECT_FALSE(propagator.Extract(carrier, Context{}).span_context.IsValid());
  }
  HeaderListCarrier sampled(HeaderListCarrier::Headers{
      {"b3",
       "4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0-"
       "1111111111111111"}});
  Context ctx = propagator.Extract(sampled, Context{});
  EXPECT_TRUE(ctx.span_context.IsValid());
  EXPECT_FALSE(ctx.span_context.sampled());
}

}  // namespace
}  // namespace kafkatrace
