#include "plugin/in_flight_spans.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::plugin {
namespace {

// Recording spans (no processor: ended spans go back to the pool).
class InFlightSpansTest : public ::testing::Test {
 protected:
  Span Started() { return tracer_.StartSpan("send t"); }
  TracerProvider provider_{TracerProviderOptions{}};
  Tracer& tracer_ = provider_.GetTracer("test");
};

TEST_F(InFlightSpansTest, EachRecordGetsItsOwnSpanBackOnce) {
  InFlightSpans table;
  std::vector<char> records(10'000);  // their addresses are the keys
  std::vector<SpanId> ids;
  for (char& record : records) {
    Span span = Started();
    ids.push_back(span.context().span_id());
    EXPECT_FALSE(table.Add(&record, span, tracer_).IsRecording());
    EXPECT_FALSE(span.IsRecording());  // the table has it now
  }
  EXPECT_EQ(table.size(), records.size());
  std::vector<size_t> order(records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (size_t i : order) {
    Span span = table.Take(&records[i], tracer_);
    ASSERT_TRUE(span.IsRecording()) << i;
    EXPECT_EQ(span.context().span_id(), ids[i]) << i;
    EXPECT_FALSE(table.Take(&records[i], tracer_).IsRecording()) << i;
  }
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(InFlightSpansTest, ASecondSpanForTheSameRecordDisplacesTheFirst) {
  // The same address again means librdkafka freed the first record without an
  // acknowledgement: its span comes back to be ended, the new one waits.
  InFlightSpans table;
  char record = 0;
  Span first = Started(), second = Started();
  const SpanId first_id = first.context().span_id();
  const SpanId second_id = second.context().span_id();
  EXPECT_FALSE(table.Add(&record, first, tracer_).IsRecording());
  Span displaced = table.Add(&record, second, tracer_);
  ASSERT_TRUE(displaced.IsRecording());
  EXPECT_EQ(displaced.context().span_id(), first_id);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.Take(&record, tracer_).context().span_id(), second_id);
  char other = 0;
  EXPECT_FALSE(table.Take(&other, tracer_).IsRecording());
  // A null record (the table's free-slot mark) is refused, not stored.
  Span orphan = Started();
  EXPECT_FALSE(table.Add(nullptr, orphan, tracer_).IsRecording());
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(InFlightSpansTest, AgreesWithAMapUnderRandomAddsAndTakes) {
  // Grows, shrinks and removes from the middle of probe runs: every removal
  // must leave every other record findable.
  InFlightSpans table;
  std::vector<char> records(4'000);
  std::map<const void*, SpanId> model;
  std::mt19937 random(11);
  for (int step = 0; step < 60'000; ++step) {
    const char* record = &records[random() % records.size()];
    // Mostly adds while small, mostly takes while large: the size swings.
    const bool add = random() % 4'000 >= model.size() * (step / 20'000 % 2 + 1);
    if (add) {
      Span span = Started();
      const SpanId id = span.context().span_id();
      const bool had = model.count(record) != 0;
      Span displaced = table.Add(record, span, tracer_);
      EXPECT_EQ(displaced.IsRecording(), had);
      if (had) {
        EXPECT_EQ(displaced.context().span_id(), model[record]);
      }
      model[record] = id;
    } else {
      Span span = table.Take(record, tracer_);
      const auto it = model.find(record);
      ASSERT_EQ(span.IsRecording(), it != model.end());
      if (it != model.end()) {
        EXPECT_EQ(span.context().span_id(), it->second);
        model.erase(it);
      }
    }
    ASSERT_EQ(table.size(), model.size());
  }
  std::vector<Span> rest = table.TakeAll(tracer_);
  EXPECT_EQ(rest.size(), model.size());
  for (const auto& [record, id] : model) {
    EXPECT_FALSE(table.Take(record, tracer_).IsRecording());
  }
  EXPECT_EQ(table.size(), 0u);
}

TEST_F(InFlightSpansTest, OneThreadAddsWhileAnotherTakes) {
  // As on_send on the application's thread and on_acknowledgement on a
  // broker thread.
  InFlightSpans table;
  constexpr int kRecords = 50'000;
  std::vector<char> records(kRecords);
  std::atomic<int> added{0};
  std::thread producer([&] {
    for (char& record : records) {
      Span span = Started();
      EXPECT_FALSE(table.Add(&record, span, tracer_).IsRecording());
      added.store(added.load() + 1, std::memory_order_release);
    }
  });
  int taken = 0;
  for (int i = 0; i < kRecords; ++i) {
    while (added.load(std::memory_order_acquire) <= i)
      std::this_thread::yield();
    if (table.Take(&records[i], tracer_).IsRecording()) ++taken;
  }
  producer.join();
  EXPECT_EQ(taken, kRecords);
  EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace kafkatrace::plugin
