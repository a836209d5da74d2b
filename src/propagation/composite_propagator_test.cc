#include "kafkatrace/propagation/composite_propagator.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace kafkatrace {
namespace {

const SpanContext kContext(
    TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
    SpanId::FromHex("00f067aa0ba902b7").value(), kTraceFlagSampled, false,
    TraceState::Parse("v=1").value());

class PropagatorEnvTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("OTEL_PROPAGATORS"); }
};

TEST_F(PropagatorEnvTest, DefaultIsTraceContextAndBaggage) {
  auto propagator = PropagatorFromEnv();
  ASSERT_TRUE(propagator.ok());
  EXPECT_EQ((*propagator)->Fields(),
            (std::vector<std::string>{"traceparent", "tracestate", "baggage"}));
  HeaderListCarrier carrier;
  (*propagator)->Inject(Context{kContext, Baggage().With("k", "v")}, carrier);
  EXPECT_EQ(carrier.headers(),
            (HeaderListCarrier::Headers{
                {"traceparent",
                 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
                {"tracestate", "v=1"},
                {"baggage", "k=v"}}));
  Context back = (*propagator)->Extract(carrier, Context{});
  EXPECT_EQ(back.span_context.trace_id(), kContext.trace_id());
  EXPECT_EQ(back.baggage.Get("k"), "v");
}

TEST_F(PropagatorEnvTest, ListFromEnvironment) {
  setenv("OTEL_PROPAGATORS", "b3multi, tracecontext", 1);
  auto propagator = PropagatorFromEnv();
  ASSERT_TRUE(propagator.ok());
  HeaderListCarrier carrier;
  (*propagator)->Inject(Context{kContext, {}}, carrier);
  EXPECT_EQ(carrier.headers().size(),
            5u);  // 3 B3 headers + traceparent + tracestate
  setenv("OTEL_PROPAGATORS", "none", 1);
  auto none = PropagatorFromEnv();
  ASSERT_TRUE(none.ok());
  HeaderListCarrier untouched;
  (*none)->Inject(Context{kContext, {}}, untouched);
  EXPECT_TRUE(untouched.headers().empty());
}

TEST_F(PropagatorEnvTest, UnknownNameIsAnError) {
  setenv("OTEL_PROPAGATORS", "tracecontext,xray", 1);
  auto propagator = PropagatorFromEnv();
  ASSERT_FALSE(propagator.ok());
  EXPECT_NE(propagator.status().message().find("xray"), std::string::npos);
  EXPECT_NE(propagator.status().message().find("OTEL_PROPAGATORS"),
            std::string::npos);
}

}  // namespace
}  // namespace kafkatrace
