#include "kafkatrace/sampler.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "kafkatrace/id_generator.h"

namespace kafkatrace {
namespace {

SamplingDecision Decide(Sampler& sampler, const TraceId& trace_id,
                        const SpanContext& parent = {}) {
  return sampler
      .ShouldSample(SamplingParameters{
          parent, trace_id, "op", SpanKind::kInternal, {}, {}})
      .decision;
}

TraceId IdWithRandomness(uint64_t r56) {
  TraceId id;
  uint8_t* bytes = id.mutable_data();
  bytes[0] = 0xAB;  // the high bytes must not matter
  for (int i = 15; i >= 9; --i) {
    bytes[i] = static_cast<uint8_t>(r56 & 0xFF);
    r56 >>= 8;
  }
  return id;
}

TEST(SamplerTest, AlwaysOnAndOff) {
  AlwaysOnSampler on;
  AlwaysOffSampler off;
  TraceId id = RandomIdGenerator().NewTraceId();
  EXPECT_EQ(Decide(on, id), SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(off, id), SamplingDecision::kDrop);
}

TEST(SamplerTest, TraceIdRatioUsesLow56BitsAgainstThreshold) {
  TraceIdRatioBasedSampler half(0.5);
  const uint64_t threshold = uint64_t{1} << 55;  // (1 - 0.5) * 2^56
  EXPECT_EQ(half.rejection_threshold(), threshold);
  EXPECT_EQ(Decide(half, IdWithRandomness(threshold)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(half, IdWithRandomness(threshold - 1)),
            SamplingDecision::kDrop);
  EXPECT_EQ(Decide(half, IdWithRandomness((uint64_t{1} << 56) - 1)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(half, IdWithRandomness(0)), SamplingDecision::kDrop);
}

TEST(SamplerTest, TraceIdRatioExtremesAndMonotonicity) {
  TraceIdRatioBasedSampler none(0.0), all(1.0), tenth(0.1), quarter(0.25);
  RandomIdGenerator generator;
  int sampled_tenth = 0;
  for (int i = 0; i < 20000; ++i) {
    TraceId id = generator.NewTraceId();
    EXPECT_EQ(Decide(none, id), SamplingDecision::kDrop);
    EXPECT_EQ(Decide(all, id), SamplingDecision::kRecordAndSample);
    bool t = Decide(tenth, id) == SamplingDecision::kRecordAndSample;
    bool q = Decide(quarter, id) == SamplingDecision::kRecordAndSample;
    if (t) {
      ++sampled_tenth;
      EXPECT_TRUE(q) << "raising the ratio must never unsample a trace";
    }
  }
  EXPECT_NEAR(sampled_tenth / 20000.0, 0.1, 0.01);
  EXPECT_EQ(tenth.Description(), "TraceIdRatioBased{0.1}");
}

TEST(SamplerTest, ParentBasedFollowsParentFlags) {
  ParentBasedSampler sampler(std::make_unique<AlwaysOffSampler>());
  TraceId trace = RandomIdGenerator().NewTraceId();
  SpanId span = RandomIdGenerator().NewSpanId();
  EXPECT_EQ(Decide(sampler, trace),
            SamplingDecision::kDrop);  // root -> delegate
  EXPECT_EQ(
      Decide(sampler, trace, SpanContext(trace, span, kTraceFlagSampled, true)),
      SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(sampler, trace, SpanContext(trace, span, 0, true)),
            SamplingDecision::kDrop);
  EXPECT_EQ(Decide(sampler, trace,
                   SpanContext(trace, span, kTraceFlagSampled, false)),
            SamplingDecision::kRecordAndSample);

  ParentBasedSampler custom(ParentBasedSampler::Delegates{
      .root = std::make_unique<AlwaysOnSampler>(),
      .remote_parent_not_sampled = std::make_unique<AlwaysOnSampler>(),
  });
  EXPECT_EQ(Decide(custom, trace, SpanContext(trace, span, 0, true)),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(custom, trace, SpanContext(trace, span, 0, false)),
            SamplingDecision::kDrop);
}

constexpr ParentKind kAllParentKinds[] = {
    ParentKind::kNone, ParentKind::kRemoteSampled,
    ParentKind::kRemoteNotSampled, ParentKind::kLocalSampled,
    ParentKind::kLocalNotSampled};

// What the tracer may skip asking: only where the decision is a drop for
// every trace id, name, kind, attribute and link.
TEST(SamplerTest, DropsEverySpanOnlyWhereNothingCouldBeSampled) {
  AlwaysOffSampler off;
  AlwaysOnSampler on;
  TraceIdRatioBasedSampler none(0.0), tiny(1e-9);
  for (ParentKind kind : kAllParentKinds) {
    EXPECT_TRUE(off.DropsEverySpan(kind));
    EXPECT_FALSE(on.DropsEverySpan(kind));
    EXPECT_TRUE(none.DropsEverySpan(kind));
    EXPECT_FALSE(tiny.DropsEverySpan(kind));
  }
  ParentBasedSampler parent_based(std::make_unique<AlwaysOnSampler>());
  EXPECT_FALSE(parent_based.DropsEverySpan(ParentKind::kNone));
  EXPECT_FALSE(parent_based.DropsEverySpan(ParentKind::kRemoteSampled));
  EXPECT_TRUE(parent_based.DropsEverySpan(ParentKind::kRemoteNotSampled));
  EXPECT_FALSE(parent_based.DropsEverySpan(ParentKind::kLocalSampled));
  EXPECT_TRUE(parent_based.DropsEverySpan(ParentKind::kLocalNotSampled));
  ParentBasedSampler ratio_root(std::make_unique<TraceIdRatioBasedSampler>(0));
  EXPECT_TRUE(ratio_root.DropsEverySpan(ParentKind::kNone));

  TraceId trace = RandomIdGenerator().NewTraceId();
  SpanId span = RandomIdGenerator().NewSpanId();
  EXPECT_EQ(ParentKindOf(SpanContext()), ParentKind::kNone);
  EXPECT_EQ(ParentKindOf(SpanContext(trace, span, kTraceFlagSampled, true)),
            ParentKind::kRemoteSampled);
  EXPECT_EQ(ParentKindOf(SpanContext(trace, span, 0, true)),
            ParentKind::kRemoteNotSampled);
  EXPECT_EQ(ParentKindOf(SpanContext(trace, span, kTraceFlagSampled, false)),
            ParentKind::kLocalSampled);
  EXPECT_EQ(ParentKindOf(SpanContext(trace, span, 0, false)),
            ParentKind::kLocalNotSampled);
}

// What the tracer may record without asking: only where the decision is
// record-and-sample, with nothing added, for every trace id, name, kind,
// attribute and link.
TEST(SamplerTest, SamplesEverySpanOnlyWhereNothingCouldBeDropped) {
  AlwaysOffSampler off;
  AlwaysOnSampler on;
  TraceIdRatioBasedSampler every(1.0), almost(1 - 1e-9);
  for (ParentKind kind : kAllParentKinds) {
    EXPECT_FALSE(off.SamplesEverySpan(kind));
    EXPECT_TRUE(on.SamplesEverySpan(kind));
    EXPECT_TRUE(every.SamplesEverySpan(kind));
    EXPECT_FALSE(almost.SamplesEverySpan(kind));
  }
  // The lowest randomness a trace id can carry is still sampled at ratio 1.
  const TraceId lowest =
      TraceId::FromHex("ffffffffffffffffff00000000000000").value();
  EXPECT_EQ(Decide(every, lowest, SpanContext()),
            SamplingDecision::kRecordAndSample);
  EXPECT_EQ(Decide(almost, lowest, SpanContext()), SamplingDecision::kDrop);

  ParentBasedSampler parent_based(std::make_unique<AlwaysOnSampler>());
  EXPECT_TRUE(parent_based.SamplesEverySpan(ParentKind::kNone));
  EXPECT_TRUE(parent_based.SamplesEverySpan(ParentKind::kRemoteSampled));
  EXPECT_FALSE(parent_based.SamplesEverySpan(ParentKind::kRemoteNotSampled));
  EXPECT_TRUE(parent_based.SamplesEverySpan(ParentKind::kLocalSampled));
  EXPECT_FALSE(parent_based.SamplesEverySpan(ParentKind::kLocalNotSampled));
  ParentBasedSampler ratio_root(
      std::make_unique<TraceIdRatioBasedSampler>(0.5));
  EXPECT_FALSE(ratio_root.SamplesEverySpan(ParentKind::kNone));
  EXPECT_TRUE(ratio_root.SamplesEverySpan(ParentKind::kRemoteSampled));
}

class SamplerEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("OTEL_TRACES_SAMPLER");
    unsetenv("OTEL_TRACES_SAMPLER_ARG");
  }
};

TEST_F(SamplerEnvTest, DefaultIsParentBasedAlwaysOn) {
  auto sampler = SamplerFromEnv();
  ASSERT_TRUE(sampler.ok());
  EXPECT_EQ(
      (*sampler)->Description().rfind("ParentBased{root:AlwaysOnSampler", 0),
      0u);
}

TEST_F(SamplerEnvTest, TraceIdRatioWithArg) {
  setenv("OTEL_TRACES_SAMPLER", "parentbased_traceidratio", 1);
  setenv("OTEL_TRACES_SAMPLER_ARG", "0.25", 1);
  auto sampler = SamplerFromEnv();
  ASSERT_TRUE(sampler.ok());
  EXPECT_NE((*sampler)->Description().find("TraceIdRatioBased{0.25}"),
            std::string::npos);
}

TEST_F(SamplerEnvTest, ErrorsNameTheVariable) {
  setenv("OTEL_TRACES_SAMPLER", "traceidratio", 1);
  setenv("OTEL_TRACES_SAMPLER_ARG", "1.5", 1);
  auto bad_arg = SamplerFromEnv();
  ASSERT_FALSE(bad_arg.ok());
  EXPECT_NE(bad_arg.status().message().find("OTEL_TRACES_SAMPLER_ARG"),
            std::string::npos);
  setenv("OTEL_TRACES_SAMPLER", "sometimes", 1);
  auto bad_name = SamplerFromEnv();
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.status().message().find("sometimes"), std::string::npos);
}

}  // namespace
}  // namespace kafkatrace
