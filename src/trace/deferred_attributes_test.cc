// Deferred attributes: a span ended with raw facts gets its attributes written
// by the batch processor's worker, before any exporter sees it, and only a
// pipeline of batch processors lets instrumentation defer them.
#include <gtest/gtest.h>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/in_memory_span_exporter.h"
#include "support/test_tracing.h"
#include "trace/span_data_pool.h"
#include "trace/span_handoff.h"

namespace kafkatrace {
namespace {

using testing::TestTracing;
using Processor = TestTracing::Processor;

struct Facts {
  int64_t number;
  const char* text;  // a literal: outlives the span
};

// Lists "late.number" and "late.text" from the facts.
void ListFacts(const detail::DeferredAttributes& deferred,
               detail::DeferredAttributes::Sink sink) {
  const auto facts = deferred.Facts<Facts>();
  const AttributeKeyValue attributes[] = {{"late.number", facts.number},
                                          {"late.text", facts.text}};
  sink(attributes);
}

// Starts a span with one attribute and ends it with deferred ones.
void EndWithFacts(Tracer& tracer) {
  Span span = tracer.StartSpan("deferring");
  span.SetAttribute("early", true);
  ASSERT_TRUE(detail::SpanHandoff::CanDeferAttributes(span));
  detail::SpanHandoff::EndWithDeferredAttributes(span, &ListFacts,
                                                 Facts{42, "facts"});
  EXPECT_FALSE(span.IsRecording());
}

TEST(DeferredAttributesTest, TheBatchWorkerWritesThemBeforeExport) {
  TestTracing tracing(nullptr, {}, Processor::kBatch);
  EndWithFacts(tracing.tracer());
  const auto spans = tracing.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].attributes.size(), 3u);
  EXPECT_EQ(*FindAttribute(spans[0].attributes, "early"), AttributeValue(true));
  EXPECT_EQ(*FindAttribute(spans[0].attributes, "late.number"),
            AttributeValue(int64_t{42}));
  EXPECT_EQ(*FindAttribute(spans[0].attributes, "late.text"),
            AttributeValue(std::string("facts")));
  EXPECT_EQ(spans[0].deferred.lister, nullptr);  // exporters see none
}

// Facts kept at start (as process spans keep theirs), while the span records
// attributes of its own: the span must end as if the facts' attributes had
// been set first, under the limits, as a span that set them at once.
TEST(DeferredAttributesTest, FactsKeptAtStartComeFirst) {
  for (uint32_t max_attributes : {2u, 3u, 4u, 128u}) {
    std::vector<std::vector<std::string>> ends;
    std::vector<uint32_t> dropped;
    for (bool defer : {false, true}) {
      TestTracing tracing(nullptr, {.max_attributes = max_attributes},
                          Processor::kBatch);
      Span span = tracing.tracer().StartSpan("deferring");
      if (defer) {
        detail::SpanHandoff::DeferAttributes(span, &ListFacts,
                                             Facts{42, "facts"});
      } else {
        const AttributeKeyValue at_once[] = {{"late.number", 42},
                                             {"late.text", "facts"}};
        span.SetAttributes(at_once);
      }
      span.SetAttribute("own", true);
      span.SetAttribute("late.text", "replaced while live");
      span.SetAttribute("own.2", 2);
      span.End();
      const auto spans = tracing.spans();
      ASSERT_EQ(spans.size(), 1u);
      std::vector<std::string> described;
      for (const auto& [key, value] : spans[0].attributes)
        described.push_back(key.str() + "=" + AttributeValueToString(value));
      ends.push_back(described);
      dropped.push_back(spans[0].dropped_attributes_count);
    }
    EXPECT_EQ(ends[1], ends[0]) << max_attributes;
    EXPECT_EQ(dropped[1], dropped[0]) << max_attributes;
    if (max_attributes == 128) {
      EXPECT_EQ(ends[1],
                (std::vector<std::string>{"late.number=42",
                                          "late.text=\"replaced while live\"",
                                          "own=true", "own.2=2"}));
    }
  }
}

// Deferred attributes written over a used list of the worker's (a spare:
// its entries still constructed, of other keys, types and lengths) must end
// exactly as set on a fresh span: same order, values, limits and drops, and
// nothing of the old entries left.
struct OverStaleCase {
  Attributes stale;  // handed to the worker as its spare before resolving
  std::vector<std::pair<std::string, AttributeValue>> set;
};
// Hands the case's stale list to the worker as its spare, then lists.
void ListOverStale(const detail::DeferredAttributes& deferred,
                   detail::DeferredAttributes::Sink sink) {
  const OverStaleCase* c = deferred.Facts<const OverStaleCase*>();
  detail::KeepSpareAttributes(c->stale);
  std::vector<AttributeKeyValue> list;
  for (const auto& [key, value] : c->set) list.push_back({key, value});
  sink(list);
}

TEST(DeferredAttributesTest, WritingOverASpareListEndsAsSettingThemAtOnce) {
  const std::string long_text(40, 'x');  // past std::string's inline buffer
  const Attributes used = {
      {"messaging.destination.name", std::string("old topic, long enough")},
      {"messaging.kafka.offset", int64_t{7}},
      {"old.flag", true},
      {"old.list", std::vector<int64_t>{1, 2, 3}},
      {"old.ratio", 0.5}};
  const std::vector<std::pair<std::string, AttributeValue>> sets[] = {
      {},
      {{"messaging.kafka.offset", int64_t{9}}},
      {{"a", long_text},
       {"messaging.destination.name", std::string("t")},
       {"b", int64_t{1}},
       {"a", std::string("replaced")},  // a later key replaces an earlier one
       {"c", std::vector<std::string>{"x", long_text}},
       {"d", 1.5},
       {"e", false},
       {"f", std::string("more than the stale list had")}},
  };
  for (size_t stale_size : {size_t{0}, size_t{2}, used.size()}) {
    for (const auto& set : sets) {
      for (SpanLimits limits : {SpanLimits{}, SpanLimits{.max_attributes = 3},
                                SpanLimits{.max_attribute_value_length = 4}}) {
        OverStaleCase c{Attributes(used.begin(), used.begin() + stale_size),
                        set};
        c.stale.reserve(used.size());  // a spare has room even when empty
        std::vector<std::string> ends[2];
        uint32_t dropped[2];
        for (bool over_stale : {false, true}) {
          TestTracing tracing(nullptr, limits, Processor::kBatch);
          Span span = tracing.tracer().StartSpan("resolving");
          if (over_stale) {
            detail::SpanHandoff::EndWithDeferredAttributes(span, &ListOverStale,
                                                           &c);
          } else {
            for (const auto& [key, value] : set) span.SetAttribute(key, value);
            span.End();
          }
          const auto spans = tracing.spans();
          ASSERT_EQ(spans.size(), 1u);
          for (const auto& [key, value] : spans[0].attributes) {
            ends[over_stale].push_back(key.str() + "=" +
                                       AttributeValueToString(value));
          }
          dropped[over_stale] = spans[0].dropped_attributes_count;
        }
        const std::string where = "stale " + std::to_string(stale_size) +
                                  ", setting " + std::to_string(set.size()) +
                                  ", max " +
                                  std::to_string(limits.max_attributes);
        EXPECT_EQ(ends[1], ends[0]) << where;
        EXPECT_EQ(dropped[1], dropped[0]) << where;
      }
    }
  }
}

TEST(DeferredAttributesTest, TheSpanLimitsApply) {
  TestTracing tracing(nullptr, {.max_attributes = 2}, Processor::kBatch);
  EndWithFacts(tracing.tracer());
  const auto spans = tracing.spans();
  ASSERT_EQ(spans.size(), 1u);
  ASSERT_EQ(spans[0].attributes.size(), 2u);
  EXPECT_EQ(*FindAttribute(spans[0].attributes, "late.number"),
            AttributeValue(int64_t{42}));
  EXPECT_EQ(FindAttribute(spans[0].attributes, "late.text"), nullptr);
  EXPECT_EQ(spans[0].dropped_attributes_count, 1u);
}

TEST(DeferredAttributesTest, EachBatchProcessorGetsThemWritten) {
  auto first = std::make_shared<InMemorySpanStore>();
  auto second = std::make_shared<InMemorySpanStore>();
  TracerProviderOptions options;
  for (const auto& store : {first, second}) {
    options.processors.push_back(std::make_unique<BatchSpanProcessor>(
        std::make_unique<InMemorySpanExporter>(store)));
  }
  TracerProvider provider(std::move(options));
  EndWithFacts(provider.GetTracer("test"));
  ASSERT_TRUE(provider.ForceFlush(testing::SecondsFromNow(10)));
  for (const auto& store : {first, second}) {
    const auto spans = store->Spans();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(*FindAttribute(spans[0].attributes, "late.text"),
              AttributeValue(std::string("facts")));
  }
}

// An exporter that writes deferred attributes itself (as the OTLP exporter
// does) gets them as facts only where listing them as they are is exactly
// what writing them would give; otherwise written, as every other exporter.
class FactsExporter final : public SpanExporter {
 public:
  explicit FactsExporter(std::vector<bool>& as_facts) : as_facts_(as_facts) {}
  bool ExportsDeferredAttributes() const noexcept override { return true; }
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline) noexcept override {
    for (const auto& span : batch) {
      as_facts_.push_back(span->deferred.lister != nullptr);
      EXPECT_EQ(detail::DeferredAttributesExact(*span), true);
    }
    return ExportResult::kSuccess;
  }

 private:
  std::vector<bool>& as_facts_;
};

TEST(DeferredAttributesTest, AnExporterThatWritesThemGetsThemAsFactsIfExact) {
  struct Case {
    const char* what;
    SpanLimits limits;
    bool at_start;  // kept while live (listed before its own)
    bool own;       // the span has an attribute of its own
    bool as_facts;  // expected
  };
  const Case cases[] = {
      {"at end, nothing else", {}, false, false, true},
      {"at start, nothing else", {}, true, false, true},
      {"at end, with its own", {}, false, true, false},
      {"at start, with its own", {}, true, true, false},
      {"fewer attributes allowed than may be listed",
       {.max_attributes = detail::DeferredAttributes::kMaxListed - 1},
       false,
       false,
       false},
      {"as many allowed as may be listed",
       {.max_attributes = detail::DeferredAttributes::kMaxListed},
       false,
       false,
       true},
      {"values cut", {.max_attribute_value_length = 4}, false, false, false},
  };
  for (const Case& c : cases) {
    std::vector<bool> as_facts;
    TracerProviderOptions options;
    options.limits = c.limits;
    options.processors.push_back(std::make_unique<BatchSpanProcessor>(
        std::make_unique<FactsExporter>(as_facts)));
    TracerProvider provider(std::move(options));
    Span span = provider.GetTracer("test").StartSpan("deferring");
    if (c.at_start)
      detail::SpanHandoff::DeferAttributes(span, &ListFacts, Facts{42, "x"});
    if (c.own) span.SetAttribute("own", true);
    if (c.at_start) {
      span.End();
    } else {
      detail::SpanHandoff::EndWithDeferredAttributes(span, &ListFacts,
                                                     Facts{42, "x"});
    }
    ASSERT_TRUE(provider.ForceFlush(testing::SecondsFromNow(10)));
    EXPECT_EQ(as_facts, std::vector<bool>{c.as_facts}) << c.what;
  }
}

// Whether a provider with `processors` lets its spans defer attributes.
bool Defers(std::vector<std::unique_ptr<SpanProcessor>> processors) {
  TracerProviderOptions options;
  options.processors = std::move(processors);
  TracerProvider provider(std::move(options));
  Span span = provider.GetTracer("test").StartSpan("probe");
  return detail::SpanHandoff::CanDeferAttributes(span);
}
std::unique_ptr<SpanProcessor> Batch() {
  return std::make_unique<BatchSpanProcessor>(
      std::make_unique<InMemorySpanExporter>(
          std::make_shared<InMemorySpanStore>()));
}
std::unique_ptr<SpanProcessor> Simple() {
  return std::make_unique<SimpleSpanProcessor>(
      std::make_unique<InMemorySpanExporter>(
          std::make_shared<InMemorySpanStore>()));
}

TEST(DeferredAttributesTest, OnlyBatchProcessorsOrNoneDefer) {
  // Any other processor reads spans in OnEnd, on the ending thread: it must
  // get them complete, so instrumentation writes the attributes at once.
  std::vector<std::unique_ptr<SpanProcessor>> batch_only, simple_only, mixed;
  batch_only.push_back(Batch());
  simple_only.push_back(Simple());
  mixed.push_back(Batch());
  mixed.push_back(Simple());
  EXPECT_TRUE(Defers(std::move(batch_only)));
  EXPECT_FALSE(Defers(std::move(simple_only)));
  EXPECT_FALSE(Defers(std::move(mixed)));
  // No processor: nothing will read the attributes, so they may wait forever.
  EXPECT_TRUE(Defers({}));
}

}  // namespace
}  // namespace kafkatrace
