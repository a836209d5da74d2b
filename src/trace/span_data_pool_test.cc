// The SpanData pool: spans come back cleared, and the batch worker prepares
// spans ahead of what application threads had to allocate themselves.
#include "trace/span_data_pool.h"

#include <gtest/gtest.h>

#include <vector>

namespace kafkatrace::detail {
namespace {

// More than the shared pool (4,096) and this thread's cache (64) hold: once
// these are taken, the pools are empty and later spans were allocated on
// demand.
constexpr size_t kMoreThanThePoolHolds = 5000;

std::vector<std::unique_ptr<SpanData>> DrainThePools() {
  std::vector<std::unique_ptr<SpanData>> taken;
  for (size_t i = 0; i < kMoreThanThePoolHolds; ++i)
    taken.push_back(AcquireSpanData());
  return taken;
}

TEST(SpanDataPoolTest, RecycledSpansComeBackClearedWithTheirCapacity) {
  auto held = DrainThePools();
  auto span = AcquireSpanData();
  span->name = "a name long enough to live on the heap, not inline";
  span->attributes.reserve(40);
  span->attributes.emplace_back("k", std::string("v"));
  span->status_code = SpanStatusCode::kError;
  span->status_message = "failed";
  span->dropped_attributes_count = 3;
  span->deferred.Store(
      [](const DeferredAttributes&, SpanData&) { ADD_FAILURE(); }, nullptr, 0);
  SpanData* const address = span.get();
  std::unique_ptr<SpanData> recycled[] = {std::move(span)};
  RecycleSpanData(recycled);
  EXPECT_EQ(recycled[0], nullptr);  // taken by the pool

  auto again = AcquireSpanData();  // this thread's cache: the same one
  ASSERT_EQ(again.get(), address);
  EXPECT_TRUE(again->name.empty());
  EXPECT_TRUE(again->attributes.empty());
  EXPECT_GE(again->attributes.capacity(), 40u);  // kept for reuse
  EXPECT_EQ(again->status_code, SpanStatusCode::kUnset);
  EXPECT_TRUE(again->status_message.empty());
  EXPECT_EQ(again->dropped_attributes_count, 0u);
  EXPECT_EQ(again->deferred.resolver, nullptr);
}

TEST(SpanDataPoolTest, ReplenishingPreparesSpansForTheDemandSeen) {
  ReplenishSpanDataPool();      // forget earlier tests' demand
  auto held = DrainThePools();  // some of these were allocated on demand
  ReplenishSpanDataPool();      // what the batch worker does after an export
  // Taken from the shared pool: prepared, with room for a Kafka span's
  // attributes, where an on-demand span reserves nothing.
  auto prepared = AcquireSpanData();
  EXPECT_GE(prepared->attributes.capacity(), 16u);
  EXPECT_TRUE(prepared->attributes.empty());

  // No demand since: nothing more is prepared, so the pools run dry again
  // after what was prepared, and spans are allocated bare.
  ReplenishSpanDataPool();
  for (size_t i = 0; i < 1024; ++i) held.push_back(AcquireSpanData());
  EXPECT_EQ(AcquireSpanData()->attributes.capacity(), 0u);
}

}  // namespace
}  // namespace kafkatrace::detail
