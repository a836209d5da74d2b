// Tracer, Span and Context behaviour through the public API.
#include "kafkatrace/span.h"

#include <gtest/gtest.h>

#include "kafkatrace/context.h"
#include "kafkatrace/tracer.h"
#include "kafkatrace/tracer_provider.h"
#include "support/test_tracing.h"

namespace kafkatrace {
namespace {

using testing::TestTracing;

TEST(SpanTest, RecordsNameKindTimesAndAttributesOfAllTypes) {
  TestTracing t;
  Span span =
      t.tracer().StartSpan("op", SpanOptions{.kind = SpanKind::kProducer});
  ASSERT_TRUE(span.IsRecording());
  span.SetAttribute("s", std::string("text"));
  span.SetAttribute("b", true);
  span.SetAttribute("i", int64_t{42});
  span.SetAttribute("d", 2.5);
  span.SetAttribute("sa", std::vector<std::string>{"x", "y"});
  span.SetAttribute("ba", std::vector<bool>{true, false});
  span.SetAttribute("ia", std::vector<int64_t>{1, 2});
  span.SetAttribute("da", std::vector<double>{0.5});
  span.SetAttribute("i", int64_t{43});  // replaces, keeps position
  t.clock.Advance(1500);
  span.End();
  ASSERT_EQ(t.spans().size(), 1u);
  SpanData d = t.spans()[0];
  EXPECT_EQ(d.name, "op");
  EXPECT_EQ(d.kind, SpanKind::kProducer);
  EXPECT_EQ(d.end_unix_nanos - d.start_unix_nanos, 1500);
  ASSERT_EQ(d.attributes.size(), 8u);
  EXPECT_EQ(d.attributes[2].key, "i");
  EXPECT_EQ(std::get<int64_t>(d.attributes[2].value), 43);
  EXPECT_EQ(
      std::get<std::vector<std::string>>(*FindAttribute(d.attributes, "sa")),
      (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(d.scope->name, "test");
  EXPECT_EQ(d.resource->service_name(), "test-service");
}

TEST(SpanTest, OptionsKeptByTheCallerAreCopiedAndTemporariesMoved) {
  TestTracing t;
  const SpanContext linked(
      *TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736"),
      *SpanId::FromHex("00f067aa0ba902b7"), 1, true);
  SpanOptions kept{.attributes = {{"k", std::string("a long value that is not "
                                                    "kept inline")}},
                   .links = {SpanLink{linked, {{"l", int64_t{1}}}, 0}}};
  t.tracer().StartSpan("first", kept).End();
  t.tracer().StartSpan("second", kept).End();
  // Still intact for reuse after both spans.
  ASSERT_EQ(kept.attributes.size(), 1u);
  EXPECT_EQ(std::get<std::string>(kept.attributes[0].value),
            "a long value that is not kept inline");
  ASSERT_EQ(kept.links.size(), 1u);
  EXPECT_EQ(kept.links[0].attributes.size(), 1u);
  t.tracer().StartSpan("third", std::move(kept)).End();
  auto spans = t.spans();
  ASSERT_EQ(spans.size(), 3u);
  for (const auto& span : spans) {
    EXPECT_EQ(std::get<std::string>(*FindAttribute(span.attributes, "k")),
              "a long value that is not kept inline")
        << span.name;
    ASSERT_EQ(span.links.size(), 1u);
    EXPECT_EQ(span.links[0].context, linked);
    EXPECT_EQ(span.links[0].attributes.size(), 1u);
  }
}

// Sees each span at start and keeps it at end; with `enrich`, also adds an
// attribute in OnStart, as a processor may.
class ProbeProcessor final : public SpanProcessor {
 public:
  explicit ProbeProcessor(bool enrich = false) : enrich_(enrich) {}
  void OnStart(SpanData& span, const SpanContext&) noexcept override {
    start_capacities.push_back(span.attributes.capacity());
    if (enrich_)
      span.attributes.emplace_back("enriched", std::string("by processor"));
  }
  void OnEnd(std::unique_ptr<SpanData> span) noexcept override {
    ended.push_back(std::move(*span));
  }
  bool ForceFlush(Deadline) noexcept override { return true; }
  bool Shutdown(Deadline) noexcept override { return true; }
  std::vector<size_t> start_capacities;
  std::vector<SpanData> ended;

 private:
  bool enrich_;
};

// A provider whose only processor is a ProbeProcessor.
struct ProbedProvider {
  explicit ProbedProvider(SpanLimits limits = {}, bool enrich = false) {
    auto owned = std::make_unique<ProbeProcessor>(enrich);
    probe = owned.get();
    TracerProviderOptions options;
    options.processors.push_back(std::move(owned));
    options.limits = limits;
    provider = std::make_unique<TracerProvider>(std::move(options));
  }
  Tracer& tracer() { return provider->GetTracer("test"); }

  ProbeProcessor* probe = nullptr;  // owned by the provider
  std::unique_ptr<TracerProvider> provider;
};

TEST(SpanTest, AttributeCapacityIsReservedAtStart) {
  ProbedProvider probed;
  ProbeProcessor* capacities = probed.probe;
  Tracer& tracer = probed.tracer();
  tracer.StartSpan("default").End();
  tracer.StartSpan("kafka", SpanOptions{.attribute_capacity = 3000}).End();
  ASSERT_EQ(capacities->start_capacities.size(), 2u);
  EXPECT_GE(capacities->start_capacities[0], 8u);
  EXPECT_GE(capacities->start_capacities[1],
            3000u);  // beyond any recycled span
}

TEST(SpanTest, AttributesCanBeReservedAfterStart) {
  SpanLimits limits;
  limits.max_attributes = 100;
  ProbedProvider probed(limits);
  ProbeProcessor* processor = probed.probe;
  Tracer& tracer = probed.tracer();
  Span later = tracer.StartSpan("later", SpanOptions{.attribute_capacity = 0});
  later.ReserveAttributes(90);
  later.SetAttribute("a", 1);
  later.End();
  Span capped =
      tracer.StartSpan("capped", SpanOptions{.attribute_capacity = 0});
  capped.ReserveAttributes(1'000'000);  // the limit bounds the reservation
  capped.End();
  Span().ReserveAttributes(10);  // not recording: nothing to do
  ASSERT_EQ(processor->ended.size(), 2u);
  EXPECT_GE(processor->ended[0].attributes.capacity(), 90u);
  EXPECT_EQ(processor->ended[0].attributes.size(), 1u);
  EXPECT_GE(processor->ended[1].attributes.capacity(), 100u);
  EXPECT_LT(processor->ended[1].attributes.capacity(), 1'000'000u);
}

TEST(SpanTest, SetAttributeReplacesKeysFromEveryOrigin) {
  ProbedProvider probed(SpanLimits{}, /*enrich=*/true);
  ProbeProcessor* enriching = probed.probe;
  Span span = probed.tracer().StartSpan(
      "op", SpanOptions{.attributes = {{"at.start", int64_t{1}}}});
  span.SetAttribute("at.start", int64_t{2});     // from the options
  span.SetAttribute("enriched", "by the span");  // from a processor's OnStart
  span.SetAttribute("later", int64_t{3});
  span.SetAttribute("later", int64_t{4});  // set twice through the span
  span.SetAttribute("other", int64_t{5});  // same length as "later"
  span.End();
  ASSERT_EQ(enriching->ended.size(), 1u);
  const Attributes& attributes = enriching->ended[0].attributes;
  ASSERT_EQ(attributes.size(), 4u);
  EXPECT_EQ(attributes[0].key, "at.start");
  EXPECT_EQ(std::get<int64_t>(attributes[0].value), 2);
  EXPECT_EQ(attributes[1].key, "enriched");
  EXPECT_EQ(std::get<std::string>(attributes[1].value), "by the span");
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(attributes, "later")), 4);
  EXPECT_EQ(std::get<int64_t>(*FindAttribute(attributes, "other")), 5);
}

TEST(SpanTest, SetAttributesActsLikeOneSetAttributePerEntry) {
  SpanLimits limits;
  limits.max_attributes = 4;
  limits.max_attribute_value_length = 5;
  ProbedProvider probed(limits);
  ProbeProcessor* processor = probed.probe;
  Tracer& tracer = probed.tracer();
  Span span = tracer.StartSpan("op", SpanOptions{.attribute_capacity = 0});
  span.SetAttribute("kept", int64_t{1});
  const std::string long_value = "truncated to five";
  const AttributeKeyValue batch[] = {
      {"s", long_value}, {"kept", int64_t{2}},     // replaces
      {"b", true},       {"s", "again"},           // later entry wins
      {"d", 0.5},        {"beyond", int64_t{9}}};  // over limit
  span.SetAttributes(batch);
  span.SetAttributes({});       // nothing to set
  Span().SetAttributes(batch);  // not recording: nothing to do
  span.End();
  ASSERT_EQ(processor->ended.size(), 1u);
  const SpanData& d = processor->ended[0];
  ASSERT_EQ(d.attributes.size(), 4u);
  EXPECT_EQ(d.attributes[0].key, "kept");
  EXPECT_EQ(std::get<int64_t>(d.attributes[0].value), 2);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(d.attributes, "s")), "again");
  EXPECT_EQ(std::get<bool>(*FindAttribute(d.attributes, "b")), true);
  EXPECT_EQ(std::get<double>(*FindAttribute(d.attributes, "d")), 0.5);
  EXPECT_EQ(FindAttribute(d.attributes, "beyond"), nullptr);
  EXPECT_EQ(d.dropped_attributes_count, 1u);
  // Room made once for the whole batch, within the limit.
  EXPECT_GE(d.attributes.capacity(), 4u);
}

TEST(SpanTest, SetAttributesTruncatesLikeSetAttribute) {
  SpanLimits limits;
  limits.max_attribute_value_length = 3;
  TestTracing t(nullptr, limits);
  Span span = t.tracer().StartSpan("op");
  const AttributeKeyValue batch[] = {{"s", "abcdef"}};
  span.SetAttributes(batch);
  span.End();
  EXPECT_EQ(std::get<std::string>(t.spans()[0].attributes[0].value), "abc");
}

TEST(SpanTest, EndIsIdempotentAndDestructorEndsOpenSpans) {
  TestTracing t;
  {
    Span span = t.tracer().StartSpan("a");
    span.End();
    span.End();
    Span other = t.tracer().StartSpan("b");
  }  // "b" ended by its destructor
  auto spans = t.spans();
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].name, "a");
  EXPECT_EQ(spans[1].name, "b");
}

TEST(SpanTest, ContextStaysReadableAfterEnd) {
  TestTracing t;
  Span span = t.tracer().StartSpan("a");
  SpanContext before = span.context();
  span.End();
  EXPECT_EQ(span.context(), before);
  EXPECT_FALSE(span.IsRecording());
}

TEST(SpanTest, MoveAssignmentEndsTheOverwrittenSpan) {
  TestTracing t;
  Span span = t.tracer().StartSpan("first");
  span = t.tracer().StartSpan("second");
  EXPECT_EQ(t.spans().size(), 1u);
  EXPECT_EQ(t.spans()[0].name, "first");
}

TEST(SpanTest, EventsExceptionsLinksAndStatus) {
  TestTracing t;
  Span span = t.tracer().StartSpan("op");
  t.clock.Advance(10);
  span.AddEvent("checkpoint", {{"n", int64_t{1}}});
  span.AddEvent("explicit", {}, 12345);
  span.RecordException("std::runtime_error", "boom");
  SpanContext linked(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(), 1, true);
  span.AddLink(linked, {{"why", std::string("fan-in")}});
  span.AddLink(SpanContext(), {});  // invalid: ignored
  span.SetStatus(SpanStatusCode::kError, "bad thing");
  span.End();
  SpanData d = t.spans()[0];
  ASSERT_EQ(d.events.size(), 3u);
  EXPECT_EQ(d.events[0].time_unix_nanos, d.start_unix_nanos + 10);
  EXPECT_EQ(d.events[1].time_unix_nanos, 12345);
  EXPECT_EQ(d.events[2].name, "exception");
  EXPECT_EQ(std::get<std::string>(
                *FindAttribute(d.events[2].attributes, "exception.type")),
            "std::runtime_error");
  EXPECT_EQ(std::get<std::string>(
                *FindAttribute(d.events[2].attributes, "exception.message")),
            "boom");
  ASSERT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.links[0].context, linked);
  EXPECT_EQ(d.status_code, SpanStatusCode::kError);
  EXPECT_EQ(d.status_message, "bad thing");
}

TEST(SpanTest, StatusRules) {
  TestTracing t;
  Span a = t.tracer().StartSpan("a");
  a.SetStatus(SpanStatusCode::kOk, "ignored description");
  a.SetStatus(SpanStatusCode::kError, "too late");  // Ok is final
  a.End();
  Span b = t.tracer().StartSpan("b");
  b.SetStatus(SpanStatusCode::kError, "e");
  b.SetStatus(SpanStatusCode::kUnset);  // ignored
  b.End();
  auto spans = t.spans();
  EXPECT_EQ(spans[0].status_code, SpanStatusCode::kOk);
  EXPECT_EQ(spans[0].status_message, "");
  EXPECT_EQ(spans[1].status_code, SpanStatusCode::kError);
  EXPECT_EQ(spans[1].status_message, "e");
}

TEST(SpanTest, LimitsDropAndCount) {
  SpanLimits limits;
  limits.max_attributes = 2;
  limits.max_attribute_value_length = 4;
  limits.max_events = 1;
  limits.max_links = 1;
  limits.max_attributes_per_event = 1;
  limits.max_attributes_per_link = 1;
  TestTracing t(nullptr, limits);
  SpanContext linked(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(), 1, true);
  Span span = t.tracer().StartSpan(
      "op", SpanOptions{.attributes = {{"a", std::string("abcdefgh")},
                                       {"b", int64_t{1}},
                                       {"c", int64_t{2}}},
                        .links = {{linked, {}, 0}, {linked, {}, 0}}});
  span.SetAttribute("d", int64_t{3});
  span.SetAttribute(
      "a", std::vector<std::string>{"123456", "x"});  // replace still allowed
  span.AddEvent("e1", {{"x", int64_t{1}}, {"y", int64_t{2}}});
  span.AddEvent("e2");
  span.AddLink(linked, {{"x", int64_t{1}}, {"y", int64_t{2}}});
  span.End();
  SpanData d = t.spans()[0];
  EXPECT_EQ(d.attributes.size(), 2u);
  EXPECT_EQ(d.dropped_attributes_count, 2u);  // "c" at start, "d" later
  EXPECT_EQ(std::get<std::vector<std::string>>(d.attributes[0].value),
            (std::vector<std::string>{"1234", "x"}));
  ASSERT_EQ(d.events.size(), 1u);
  EXPECT_EQ(d.events[0].dropped_attributes_count, 1u);
  EXPECT_EQ(d.dropped_events_count, 1u);
  EXPECT_EQ(d.links.size(), 1u);
  EXPECT_EQ(d.dropped_links_count, 2u);
}

TEST(SpanTest, ChildOfCurrentContextAndRootOption) {
  TestTracing t;
  Span parent = t.tracer().StartSpan("parent");
  {
    ContextScope scope(parent);
    EXPECT_EQ(Context::Current().span_context, parent.context());
    Span child = t.tracer().StartSpan("child");
    EXPECT_EQ(child.context().trace_id(), parent.context().trace_id());
    Span root = t.tracer().StartSpan("root", SpanOptions{.root = true});
    EXPECT_NE(root.context().trace_id(), parent.context().trace_id());
    {
      ContextScope inner(child);
      EXPECT_EQ(Context::Current().span_context, child.context());
    }
    EXPECT_EQ(Context::Current().span_context, parent.context());  // restored
  }
  EXPECT_FALSE(Context::Current().span_context.IsValid());
  parent.End();
  auto spans = t.spans();
  ASSERT_EQ(spans.size(), 3u);
  // child ended by destructor before root? Both end at scope exit: root first
  // (reverse order).
  for (const auto& s : spans) {
    if (s.name == "child") {
      EXPECT_EQ(s.parent_span_id, spans[2].context.span_id());
    }
    if (s.name == "root") {
      EXPECT_FALSE(s.parent_span_id.IsValid());
    }
  }
}

TEST(SpanTest, ScopeDoesNotEndTheSpan) {
  TestTracing t;
  Span span = t.tracer().StartSpan("op");
  { ContextScope scope(span); }
  EXPECT_TRUE(span.IsRecording());
  EXPECT_EQ(t.spans().size(), 0u);
}

TEST(SpanTest, ExplicitRemoteParentKeepsRandomFlagAndTraceState) {
  TestTracing t;
  SpanContext remote(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(),
      kTraceFlagSampled | kTraceFlagRandom, true,
      TraceState::Parse("a=1").value());
  Span span = t.tracer().StartSpan(
      "consume", SpanOptions{.kind = SpanKind::kConsumer, .parent = remote});
  EXPECT_EQ(span.context().trace_id(), remote.trace_id());
  EXPECT_NE(span.context().span_id(), remote.span_id());
  EXPECT_EQ(span.context().flags(), kTraceFlagSampled | kTraceFlagRandom);
  EXPECT_EQ(span.context().trace_state().header(), "a=1");
  EXPECT_FALSE(span.context().remote());
  span.End();
  EXPECT_EQ(t.spans()[0].parent_span_id, remote.span_id());
}

TEST(SpanTest, RootSpansCarrySampledAndRandomFlags) {
  TestTracing t;
  Span span = t.tracer().StartSpan("root");
  EXPECT_EQ(span.context().flags(), kTraceFlagSampled | kTraceFlagRandom);
}

TEST(SpanTest, UnsampledSpanIsNonRecordingButPropagatable) {
  TestTracing t(std::make_unique<AlwaysOffSampler>());
  Span span = t.tracer().StartSpan("op");
  EXPECT_FALSE(span.IsRecording());
  EXPECT_TRUE(span.context().IsValid());
  EXPECT_FALSE(span.context().sampled());
  EXPECT_EQ(span.context().flags(), kTraceFlagRandom);
  span.SetAttribute("ignored", true);
  span.End();
  EXPECT_EQ(t.spans().size(), 0u);
}

// The sampler drops every child of an unsampled remote parent (ParentBased's
// default), so the tracer does not ask it: the child must still be what the
// sampler's answer would have made it.
TEST(SpanTest, AChildTheSamplerWouldDropIsStillThePropagatableChild) {
  TestTracing t;  // parentbased_always_on
  const SpanContext unsampled(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(), kTraceFlagRandom, true,
      TraceState::Parse("a=1").value());
  Span span = t.tracer().StartSpan(
      "process", SpanOptions{.kind = SpanKind::kConsumer, .parent = unsampled});
  EXPECT_FALSE(span.IsRecording());
  EXPECT_EQ(span.context().trace_id(), unsampled.trace_id());
  EXPECT_TRUE(span.context().span_id().IsValid());
  EXPECT_NE(span.context().span_id(), unsampled.span_id());
  EXPECT_EQ(span.context().flags(), kTraceFlagRandom);  // inherited, unsampled
  EXPECT_EQ(span.context().trace_state().header(), "a=1");
  EXPECT_FALSE(span.context().remote());
  span.End();
  EXPECT_EQ(t.spans().size(), 0u);
}

// A sampler of its own is asked for every span: the tracer cannot know what
// it decides.
TEST(SpanTest, ACustomSamplerIsAskedForEverySpan) {
  struct Counting final : Sampler {
    int asked = 0;
    SamplingResult ShouldSample(const SamplingParameters&) noexcept override {
      ++asked;
      return {SamplingDecision::kDrop, {}};
    }
    std::string Description() const override { return "Counting"; }
  };
  auto sampler = std::make_unique<Counting>();
  Counting* counting = sampler.get();
  TestTracing t(std::move(sampler));
  const SpanContext unsampled(RandomIdGenerator().NewTraceId(),
                              RandomIdGenerator().NewSpanId(), 0, true);
  t.tracer().StartSpan("root").End();
  t.tracer().StartSpan("child", SpanOptions{.parent = unsampled}).End();
  EXPECT_EQ(counting->asked, 2);
}

// A sampler that declares it records every span under some parents is not
// asked for those; the spans must be what its answer would have made them,
// and it is still asked under the other parents.
TEST(SpanTest, ASamplerThatSamplesEverySpanIsNotAskedForThem) {
  struct SampledUnderSampledParents final : Sampler {
    int asked = 0;
    SamplingResult ShouldSample(
        const SamplingParameters& params) noexcept override {
      ++asked;
      return {params.parent.sampled() ? SamplingDecision::kRecordAndSample
                                      : SamplingDecision::kDrop,
              {}};
    }
    std::string Description() const override { return "Declared"; }
    bool SamplesEverySpan(ParentKind kind) const noexcept override {
      return kind == ParentKind::kRemoteSampled;
    }
  };
  auto sampler = std::make_unique<SampledUnderSampledParents>();
  SampledUnderSampledParents* declared = sampler.get();
  TestTracing t(std::move(sampler));
  const SpanContext sampled(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(),
      kTraceFlagSampled | kTraceFlagRandom, true,
      TraceState::Parse("a=1").value());
  {
    Span span = t.tracer().StartSpan(
        "process", SpanOptions{.kind = SpanKind::kConsumer,
                               .parent = sampled,
                               .attributes = {{"k", int64_t{1}}}});
    EXPECT_TRUE(span.IsRecording());
    EXPECT_EQ(span.context().trace_id(), sampled.trace_id());
    EXPECT_EQ(span.context().flags(), kTraceFlagSampled | kTraceFlagRandom);
    EXPECT_EQ(span.context().trace_state().header(), "a=1");
  }
  EXPECT_EQ(declared->asked, 0);
  t.tracer()
      .StartSpan("unsampled child",
                 SpanOptions{.parent = SpanContext(sampled.trace_id(),
                                                   sampled.span_id(), 0, true)})
      .End();
  t.tracer().StartSpan("root").End();
  EXPECT_EQ(declared->asked, 2);
  const auto spans = t.spans();
  ASSERT_EQ(spans.size(), 1u);
  const SpanData& recorded = spans[0];
  EXPECT_EQ(recorded.name, "process");
  EXPECT_EQ(recorded.kind, SpanKind::kConsumer);
  EXPECT_EQ(recorded.parent_span_id, sampled.span_id());
  EXPECT_TRUE(recorded.parent_is_remote);
  ASSERT_EQ(recorded.attributes.size(), 1u);
  EXPECT_EQ(recorded.attributes[0].key, "k");
}

TEST(SpanTest, SpansAfterShutdownAreNotRecorded) {
  TestTracing t;
  ASSERT_TRUE(t.provider->Shutdown(testing::SecondsFromNow(1)));
  Span span = t.tracer().StartSpan("late");
  EXPECT_FALSE(span.IsRecording());
  EXPECT_TRUE(span.context().IsValid());
}

TEST(SpanTest, UpdateNameAndExplicitTimes) {
  TestTracing t;
  Span span =
      t.tracer().StartSpan("old", SpanOptions{.start_unix_nanos = 1000});
  span.UpdateName("new");
  span.End(5000);
  SpanData d = t.spans()[0];
  EXPECT_EQ(d.name, "new");
  EXPECT_EQ(d.start_unix_nanos, 1000);
  EXPECT_EQ(d.end_unix_nanos, 5000);
}

TEST(TracerProviderTest, GetTracerReturnsOneTracerPerScope) {
  TestTracing t;
  Tracer& a = t.provider->GetTracer("lib", "1");
  Tracer& b = t.provider->GetTracer("lib", "1");
  Tracer& c = t.provider->GetTracer("lib", "2");
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  EXPECT_EQ(c.scope().version, "2");
}

}  // namespace
}  // namespace kafkatrace
