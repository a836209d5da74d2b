// W3C Trace Context, rule by rule and row by row from
// ../shared/spec/w3c-trace-context.md. Each test is named after the rule it
// guards. `Hop` runs what a service does: extract from the incoming headers,
// start a span as child of what was extracted, inject into an outgoing carrier.
#include "kafkatrace/propagation/trace_context_propagator.h"

#include <gtest/gtest.h>

#include <set>

#include "support/test_tracing.h"

namespace kafkatrace {
namespace {

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParentId = "00f067aa0ba902b7";
const std::string kValid =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

using Headers = HeaderListCarrier::Headers;

class TraceContextTest : public ::testing::Test {
 protected:
  Context Extract(const Headers& headers) {
    return propagator_.Extract(HeaderListCarrier(headers), Context{});
  }
  // One service hop: extract, child span, inject. Returns the outgoing headers.
  Headers Hop(const Headers& incoming) {
    Context extracted = Extract(incoming);
    Span span = tracing_.tracer().StartSpan(
        "hop", SpanOptions{.kind = SpanKind::kClient,
                           .parent = extracted.span_context});
    HeaderListCarrier out;
    propagator_.Inject(Context{span.context(), {}}, out);
    return out.headers();
  }
  static std::vector<std::string> Values(const Headers& headers,
                                         std::string_view key) {
    std::vector<std::string> values;
    for (const auto& [k, v] : headers) {
      if (k == key) values.push_back(v);
    }
    return values;
  }
  static std::string TraceParentOf(const Headers& headers) {
    auto values = Values(headers, "traceparent");
    EXPECT_EQ(values.size(), 1u);
    return values.empty() ? std::string() : values[0];
  }
  // Asserts `out` continues kTraceId with a fresh parent id and the given
  // flags.
  static void ExpectContinued(const Headers& out, std::string_view flags) {
    std::string tp = TraceParentOf(out);
    ASSERT_EQ(tp.size(), 55u) << tp;
    EXPECT_EQ(tp.substr(0, 3), "00-");
    EXPECT_EQ(tp.substr(3, 32), kTraceId);
    EXPECT_NE(tp.substr(36, 16), kParentId);
    EXPECT_NE(tp.substr(36, 16), "0000000000000000");
    EXPECT_EQ(tp.substr(53), flags);
  }
  static void ExpectRestarted(const Headers& out) {
    std::string tp = TraceParentOf(out);
    ASSERT_EQ(tp.size(), 55u) << tp;
    EXPECT_NE(tp.substr(3, 32), kTraceId);
    EXPECT_NE(tp.substr(3, 32), std::string(32, '0'));
    EXPECT_EQ(tp.substr(53), "03");  // sampled + random trace-id
    EXPECT_TRUE(Values(out, "tracestate").empty());
  }
  void ExpectRestart(const std::string& traceparent) {
    SCOPED_TRACE(traceparent);
    EXPECT_FALSE(ParseTraceParent(traceparent).has_value());
    ExpectRestarted(Hop({{"traceparent", traceparent}, {"tracestate", "a=1"}}));
  }

  TraceContextPropagator propagator_;
  testing::TestTracing tracing_;
};

TEST_F(TraceContextTest, Rule1HeaderNamesAreCaseInsensitive) {
  ExpectContinued(Hop({{"TraceParent", kValid}, {"TRACESTATE", "a=1"}}), "01");
  EXPECT_EQ(Values(Hop({{"TraceParent", kValid}, {"TRACESTATE", "a=1"}}),
                   "tracestate"),
            std::vector<std::string>{"a=1"});
}

TEST_F(TraceContextTest, Rule1OtherSpellingsAreUnrelated) {
  for (const char* name : {"trace-parent", "trace.parent", "trace_parent"}) {
    ExpectRestarted(Hop({{name, kValid}}));
  }
  for (const char* name : {"trace-state", "trace.state"}) {
    EXPECT_TRUE(
        Values(Hop({{"traceparent", kValid}, {name, "a=1"}}), "tracestate")
            .empty());
  }
}

TEST_F(TraceContextTest, Rule2MissingTraceParentRestarts) {
  ExpectRestarted(Hop({}));
}

TEST_F(TraceContextTest, Rule2MoreThanOneTraceParentRestarts) {
  ExpectRestarted(Hop({{"traceparent", kValid}, {"traceparent", kValid}}));
  ExpectRestarted(
      Hop({{"traceparent", kValid},
           {"Traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}));
  ExpectRestarted(Hop({{"traceparent", kValid}, {"traceparent", "garbage"}}));
}

TEST_F(TraceContextTest, Rule2FoldedValuesFailParsing) {
  ExpectRestart(kValid + ", " + kValid);
  ExpectRestart(kValid + "," + kValid);
}

TEST_F(TraceContextTest, Rule3OwsTrimmedAtBothEnds) {
  ExpectContinued(Hop({{"traceparent", " \t" + kValid + "\t  "}}), "01");
}

TEST_F(TraceContextTest, Rule3NoOtherWhitespace) {
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736 -00f067aa0ba902b7-01");
  ExpectRestart("00- 4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0 1");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r");
  ExpectRestart("\n" + kValid);
}

TEST_F(TraceContextTest, Rule4UppercaseHexRestarts) {
  ExpectRestart("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A");
  ExpectRestart("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_F(TraceContextTest, Rule4NonHexAndMisplacedDashesRestart) {
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01");
  ExpectRestart("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01");
  ExpectRestart("004bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-xy");
}

TEST_F(TraceContextTest, Rule4FieldsTooShortOrTooLongRestart) {
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01");  // trace 31
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01");  // trace 33
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01");  // parent 15
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b77-01");  // parent 17
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");  // flags 1
  ExpectRestart(
      "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");  // version 1
  ExpectRestart("");
  ExpectRestart("00");
}

TEST_F(TraceContextTest, Rule4VersionFfRestarts) {
  ExpectRestart("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST_F(TraceContextTest, Rule4Version00MustBeExactly55) {
  ExpectRestart(kValid + "-something");
  ExpectRestart(kValid + "-");
  ExpectRestart(kValid + "0");
}

TEST_F(TraceContextTest, Rule4FutureVersionsMayAppendDashFields) {
  const std::string future =
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ExpectContinued(Hop({{"traceparent", future}}), "01");
  ExpectContinued(Hop({{"traceparent", future + "-what-ever"}}), "01");
  ExpectContinued(Hop({{"traceparent", "01" + kValid.substr(2)}}), "01");
  ExpectRestart(future + "x");       // index 55 must be '-'
  ExpectRestart(future + "0-more");  // flags field too long
  ExpectRestart(future.substr(0, 54));
}

TEST_F(TraceContextTest, Rule4AllZeroIdsRestart) {
  ExpectRestart("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  ExpectRestart("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
}

TEST_F(TraceContextTest, Rule4OnlyKnownFlagBitsAreKept) {
  auto ctx = ParseTraceParent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff");
  ASSERT_TRUE(ctx);
  EXPECT_EQ(ctx->flags(), 0x03);
  auto sampled_only = ParseTraceParent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09");
  ASSERT_TRUE(sampled_only);
  EXPECT_EQ(sampled_only->flags(), 0x01);
  ExpectContinued(Hop({{"traceparent", kValid.substr(0, 53) + "fd"}}), "01");
  ExpectContinued(Hop({{"traceparent", kValid.substr(0, 53) + "f3"}}), "03");
}

TEST_F(TraceContextTest, Rule4NeverReusesPartsOfInvalidValues) {
  // A trace id one digit too long must not be truncated into a valid-looking
  // continuation.
  Headers out =
      Hop({{"traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e47361-00f067aa0ba902b7-01"}});
  EXPECT_NE(TraceParentOf(out).substr(3, 32), kTraceId);
  EXPECT_NE(TraceParentOf(out).substr(3, 31), kTraceId.substr(0, 31));
}

TEST_F(TraceContextTest, Rule5ExtractedContextIsTraceParentAndFlags) {
  Context ctx = Extract({{"traceparent", kValid}});
  ASSERT_TRUE(ctx.span_context.IsValid());
  EXPECT_EQ(ctx.span_context.trace_id().ToHex(), kTraceId);
  EXPECT_EQ(ctx.span_context.span_id().ToHex(), kParentId);
  EXPECT_EQ(ctx.span_context.flags(), 0x01);
  EXPECT_TRUE(ctx.span_context.remote());
  // The incoming parent id is never sent on.
  EXPECT_EQ(TraceParentOf(Hop({{"traceparent", kValid}})).find(kParentId),
            std::string::npos);
}

TEST_F(TraceContextTest, Rule6TraceStateIgnoredWithoutValidTraceParent) {
  ExpectRestarted(Hop({{"tracestate", "a=1"}}));
  ExpectRestarted(Hop({{"traceparent", "garbage"}, {"tracestate", "a=1"}}));
  EXPECT_TRUE(
      Extract({{"tracestate", "a=1"}}).span_context.trace_state().empty());
}

TEST_F(TraceContextTest, Rule7TraceStateLinesCombinedInOrder) {
  Headers out = Hop({{"tracestate", "a=1"},
                     {"traceparent", kValid},
                     {"tracestate", ""},
                     {"TraceState", "b=2,c=3"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"a=1,b=2,c=3"});
}

TEST_F(TraceContextTest, Rule8EmptyAndWhitespaceMembersAreLegal) {
  Headers out =
      Hop({{"traceparent", kValid}, {"tracestate", " , a=1,\t, b=2 ,"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"a=1,b=2"});
}

TEST_F(TraceContextTest, Rule9LeadingSpacesInValuesKeptByteExact) {
  Headers out = Hop({{"traceparent", kValid}, {"tracestate", "a=  x y"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"a=  x y"});
}

TEST_F(TraceContextTest, Rule9KeysWithAtAnywhereAfterFirst) {
  Headers out =
      Hop({{"traceparent", kValid}, {"tracestate", "t@v=1,a@b@c=2,0x=3"}});
  EXPECT_EQ(Values(out, "tracestate"),
            std::vector<std::string>{"t@v=1,a@b@c=2,0x=3"});
}

TEST_F(TraceContextTest, Rule10InvalidMemberDropsTraceStateKeepsTraceParent) {
  for (const char* bad : {"a=1,@b=2", "a=1,b", "a=1,b=", "a=1,b=x=y", "foo =1",
                          "A=1", "a=1,b=\x01"}) {
    SCOPED_TRACE(bad);
    Headers out = Hop({{"traceparent", kValid}, {"tracestate", bad}});
    ExpectContinued(out, "01");
    EXPECT_TRUE(Values(out, "tracestate").empty());
  }
}

TEST_F(TraceContextTest, Rule11MemberLimit) {
  std::string members;
  for (int i = 0; i < 33; ++i) {
    const std::string number = std::to_string(i);
    if (i > 0) members += ',';
    members += "k" + number + "=v";
  }
  std::string thirty_two = members.substr(0, members.rfind(','));
  EXPECT_EQ(Values(Hop({{"traceparent", kValid}, {"tracestate", thirty_two}}),
                   "tracestate"),
            std::vector<std::string>{thirty_two});
  Headers out = Hop({{"traceparent", kValid}, {"tracestate", members}});
  ExpectContinued(out, "01");
  EXPECT_TRUE(Values(out, "tracestate").empty());
}

TEST_F(TraceContextTest, Rule12DuplicateKeysKeepFirst) {
  Headers out = Hop({{"traceparent", kValid},
                     {"tracestate", "a=1"},
                     {"tracestate", "a=2,b=3"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"a=1,b=3"});
}

TEST_F(TraceContextTest, Rule13NoTruncationAtOrBelow512) {
  std::string value(250, 'v');
  std::string header =
      "a=" + value + ",b=" + value;  // 506 chars, members over 128
  EXPECT_EQ(Values(Hop({{"traceparent", kValid}, {"tracestate", header}}),
                   "tracestate"),
            std::vector<std::string>{header});
}

TEST_F(TraceContextTest, Rule14ExactlyOneLowercaseTraceParentReplacingAnyCase) {
  HeaderListCarrier carrier({{"TRACEPARENT", "stale"},
                             {"x", "y"},
                             {"traceparent", "old"},
                             {"TraceState", "old=1"}});
  SpanContext sc(TraceId::FromHex(kTraceId).value(),
                 SpanId::FromHex(kParentId).value(), 1, false);
  propagator_.Inject(Context{sc, {}}, carrier);
  int traceparents = 0;
  for (const auto& [k, v] : carrier.headers()) {
    if (EqualsIgnoreAsciiCase(k, "traceparent")) {
      ++traceparents;
      EXPECT_EQ(k, "traceparent");
      EXPECT_EQ(v, kValid);
    }
  }
  EXPECT_EQ(traceparents, 1);
  // The stale tracestate is gone (the context has none), and re-injecting does
  // not duplicate.
  propagator_.Inject(Context{sc, {}}, carrier);
  EXPECT_EQ(carrier.headers(), (Headers{{"traceparent", kValid}, {"x", "y"}}));
}

TEST_F(TraceContextTest, Rule15FormatIsVersion00Exactly55) {
  SpanContext sc(TraceId::FromHex(kTraceId).value(),
                 SpanId::FromHex(kParentId).value(), 0xff, false);
  char out[kTraceParentSize];
  FormatTraceParent(sc, out);
  EXPECT_EQ(std::string(out, kTraceParentSize),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
}

TEST_F(TraceContextTest, Rule15EachOutgoingCallGetsAFreshParentId) {
  Context extracted = Extract({{"traceparent", kValid}});
  std::set<std::string> parent_ids;
  for (int call = 0; call < 50; ++call) {
    Span span = tracing_.tracer().StartSpan(
        "call", SpanOptions{.kind = SpanKind::kClient,
                            .parent = extracted.span_context});
    HeaderListCarrier out;
    propagator_.Inject(Context{span.context(), {}}, out);
    std::string tp = TraceParentOf(out.headers());
    EXPECT_EQ(tp.substr(3, 32), kTraceId);
    parent_ids.insert(tp.substr(36, 16));
  }
  EXPECT_EQ(parent_ids.size(), 50u);
  EXPECT_EQ(parent_ids.count(std::string(kParentId)), 0u);
}

TEST_F(TraceContextTest, Rule15FlagsRandomBitKeptSampledPassedThrough) {
  ExpectContinued(Hop({{"traceparent", kValid.substr(0, 53) + "03"}}), "03");
  ExpectContinued(Hop({{"traceparent", kValid.substr(0, 53) + "02"}}), "02");
  ExpectContinued(Hop({{"traceparent", kValid.substr(0, 53) + "00"}}), "00");
}

TEST_F(TraceContextTest,
       Rule15RestartHasNewRandomTraceIdAndSampledRandomFlags) {
  Headers a = Hop({}), b = Hop({});
  ExpectRestarted(a);
  ExpectRestarted(b);
  EXPECT_NE(TraceParentOf(a).substr(3, 32), TraceParentOf(b).substr(3, 32));
}

TEST_F(TraceContextTest, Rule16TraceStateOrderNoSpacesAndOmittedWhenEmpty) {
  Headers out = Hop({{"traceparent", kValid}, {"tracestate", "z=1 , a=2,m=3"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"z=1,a=2,m=3"});
  EXPECT_TRUE(Values(Hop({{"traceparent", kValid}, {"tracestate", " , "}}),
                     "tracestate")
                  .empty());
  EXPECT_TRUE(Values(Hop({{"traceparent", kValid}}), "tracestate").empty());
}

TEST_F(TraceContextTest, Rule17PurePropagatorAddsNoMember) {
  Headers out = Hop({{"traceparent", kValid}, {"tracestate", "vendor=x"}});
  EXPECT_EQ(Values(out, "tracestate"), std::vector<std::string>{"vendor=x"});
}

TEST_F(TraceContextTest, FieldsAreTheTwoHeaders) {
  EXPECT_EQ(propagator_.Fields(),
            (std::vector<std::string>{"traceparent", "tracestate"}));
}

// ---- 4.4 examples, one test per row ----

TEST_F(TraceContextTest, ExampleNone) {
  Headers out = Hop({});
  std::string tp = TraceParentOf(out);
  EXPECT_TRUE(tp.substr(53) == "03" || tp.substr(53) == "01");
  EXPECT_TRUE(Values(out, "tracestate").empty());
}
TEST_F(TraceContextTest, ExampleValidSampled) {
  ExpectContinued(Hop({{"traceparent", kValid}}), "01");
}
TEST_F(TraceContextTest, ExampleFutureVersionWithExtraField) {
  ExpectContinued(
      Hop({{"traceparent",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"}}),
      "01");
}
TEST_F(TraceContextTest, ExampleVersion00WithExtraField) {
  ExpectRestart(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future");
}
TEST_F(TraceContextTest, ExampleUppercaseTraceId) {
  ExpectRestart("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
}
TEST_F(TraceContextTest, ExampleSecondTraceParentLine) {
  ExpectRestarted(
      Hop({{"traceparent", kValid},
           {"traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}));
}
TEST_F(TraceContextTest, ExampleTraceStateLinesCombined) {
  Headers out = Hop({{"traceparent", kValid},
                     {"tracestate", "a=1 ,, b= x "},
                     {"tracestate", "c=2"}});
  ExpectContinued(out, "01");
  EXPECT_EQ(Values(out, "tracestate"),
            std::vector<std::string>{"a=1,b= x,c=2"});
}
TEST_F(TraceContextTest, ExampleInvalidTraceStateKey) {
  Headers out = Hop({{"traceparent", kValid}, {"tracestate", "a=1,@b=2"}});
  ExpectContinued(out, "01");
  EXPECT_TRUE(Values(out, "tracestate").empty());
}
TEST_F(TraceContextTest, ExampleDuplicateKey) {
  EXPECT_EQ(Values(Hop({{"traceparent", kValid}, {"tracestate", "a=1,a=2"}}),
                   "tracestate"),
            std::vector<std::string>{"a=1"});
}
TEST_F(TraceContextTest, ExampleThirtyThreeMembers) {
  std::string members;
  for (int i = 0; i < 33; ++i)
    members += (i ? ",m" : "m") + std::to_string(i) + "=1";
  EXPECT_TRUE(Values(Hop({{"traceparent", kValid}, {"tracestate", members}}),
                     "tracestate")
                  .empty());
}
TEST_F(TraceContextTest, ExampleTraceStateWithoutTraceParent) {
  ExpectRestarted(Hop({{"tracestate", "a=1"}}));
}

}  // namespace
}  // namespace kafkatrace
