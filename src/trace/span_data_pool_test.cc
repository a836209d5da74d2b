// The SpanData pool: spans come back cleared, and the batch worker prepares
// spans ahead of what application threads had to allocate themselves.
#include "trace/span_data_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace kafkatrace::detail {
namespace {

// More than the shared pool (kSharedPoolBytes of bare spans) and this thread's
// cache (64) hold: once these are taken, the pools are empty and later spans
// were allocated on demand.
constexpr size_t kMoreThanThePoolHolds =
    kSharedPoolBytes / sizeof(SpanData) + 64 + 1;

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
  span->attributes.reserve(20);
  span->attributes.emplace_back("k", std::string("v"));
  span->status_code = SpanStatusCode::kError;
  span->status_message = "failed";
  span->dropped_attributes_count = 3;
  span->deferred.Store([](const DeferredAttributes&,
                          DeferredAttributes::Sink) { ADD_FAILURE(); },
                       DeferredAttributes::Order::kAfterOwn, nullptr, 0);
  SpanData* const address = span.get();
  std::unique_ptr<SpanData> recycled[] = {std::move(span)};
  RecycleSpanData(recycled);
  EXPECT_EQ(recycled[0], nullptr);  // taken by the pool

  auto again = AcquireSpanData();  // this thread's cache: the same one
  ASSERT_EQ(again.get(), address);
  EXPECT_TRUE(again->name.empty());
  EXPECT_TRUE(again->attributes.empty());
  EXPECT_GE(again->attributes.capacity(), 20u);  // kept for reuse
  EXPECT_EQ(again->status_code, SpanStatusCode::kUnset);
  EXPECT_TRUE(again->status_message.empty());
  EXPECT_EQ(again->dropped_attributes_count, 0u);
  EXPECT_EQ(again->deferred.lister, nullptr);

  // Bounded: lists with room for many entries, and long strings, are freed.
  again->attributes.reserve(1000);
  again->links.reserve(1000);
  again->events.reserve(1000);
  again->name.assign(100000, 'n');
  again->status_message.assign(100000, 'm');
  std::unique_ptr<SpanData> roomy[] = {std::move(again)};
  RecycleSpanData(roomy);
  auto bounded = AcquireSpanData();
  ASSERT_EQ(bounded.get(), address);
  EXPECT_EQ(bounded->attributes.capacity(), 0u);
  EXPECT_EQ(bounded->links.capacity(), 0u);
  EXPECT_EQ(bounded->events.capacity(), 0u);
  EXPECT_LE(bounded->name.capacity(), 256u);
  EXPECT_LE(bounded->status_message.capacity(), 256u);
}

// The shared pool keeps at most kSharedPoolBytes, counting each span's lists:
// past that, recycled spans are left to the caller to free.
TEST(SpanDataPoolTest, TheSharedPoolIsBoundedInBytes) {
  auto held = DrainThePools();
  ASSERT_EQ(SharedSpanDataPoolBytes(), 0u);
  // Spans with room for 32 attributes each: far fewer fit than bare ones.
  for (auto& span : held) span->attributes.reserve(32);
  RecycleSpanData(held);  // this thread's cache takes 64 first
  const size_t with_list = sizeof(SpanData) + 32 * sizeof(Attribute);
  size_t kept = 0;
  for (const auto& span : held) kept += span == nullptr;
  EXPECT_EQ(kept - 64, kSharedPoolBytes / with_list);
  EXPECT_LE(SharedSpanDataPoolBytes(), kSharedPoolBytes);
  EXPECT_GT(SharedSpanDataPoolBytes(), kSharedPoolBytes - with_list);
  // Taking them back empties the budget again.
  held = DrainThePools();
  EXPECT_EQ(SharedSpanDataPoolBytes(), 0u);
}

// The batch worker (keep_spare_attributes) keeps the attribute lists of
// spans whose attributes it resolved, entries and all, for the next ones it
// resolves; a span that set its own attributes keeps its list in the pool.
TEST(SpanDataPoolTest, TheWorkerKeepsResolvedSpansAttributeLists) {
  while (TakeSpareAttributes().capacity() != 0) {
  }  // none left by earlier tests
  auto held = DrainThePools();
  const auto lister = [](const DeferredAttributes&, DeferredAttributes::Sink) {
  };
  constexpr auto kAfterOwn = DeferredAttributes::Order::kAfterOwn;
  static const int kAnyAddress = 0;  // the pool only tells a provider from none
  const auto provider = reinterpret_cast<const ProviderState*>(&kAnyAddress);
  auto resolved = AcquireSpanData();
  resolved->deferred.Store(lister, kAfterOwn, provider, 0);
  resolved->deferred.lister = nullptr;  // as ResolveDeferredAttributes leaves
  resolved->attributes.emplace_back("k", std::string(40, 'v'));
  auto own = AcquireSpanData();
  own->attributes.reserve(8);
  own->attributes.emplace_back("own", true);
  std::unique_ptr<SpanData> recycled[] = {std::move(resolved), std::move(own)};
  RecycleSpanData(recycled, /*keep_spare_attributes=*/true);

  Attributes spare = TakeSpareAttributes();
  ASSERT_EQ(spare.size(), 1u);  // stale, to be written over
  EXPECT_EQ(spare[0].key, "k");
  EXPECT_EQ(TakeSpareAttributes().capacity(), 0u);  // only that one
  auto again = AcquireSpanData();  // `own`, the last one cached
  EXPECT_GE(again->attributes.capacity(), 8u);
  EXPECT_TRUE(again->attributes.empty());
  EXPECT_EQ(again->deferred.provider, nullptr);  // cleared
  auto first = AcquireSpanData();  // `resolved`, without its list now
  EXPECT_EQ(first->attributes.capacity(), 0u);

  // Other threads' recycling (keep_spare_attributes off) keeps none.
  first->deferred.Store(lister, kAfterOwn, provider, 0);
  first->attributes.emplace_back("k", true);
  std::unique_ptr<SpanData> elsewhere[] = {std::move(first)};
  RecycleSpanData(elsewhere);
  EXPECT_EQ(TakeSpareAttributes().capacity(), 0u);

  // A list handed back directly is kept too, and taken once.
  KeepSpareAttributes(std::move(spare));
  EXPECT_EQ(TakeSpareAttributes().size(), 1u);
  EXPECT_EQ(TakeSpareAttributes().capacity(), 0u);

  // Bounded: a long value is freed before its list is kept, and a list with
  // room for many entries is not kept at all.
  Attributes with_long_values = {{"short", std::string(40, 's')},
                                 {"long", std::string(5000, 'l')},
                                 {"array", std::vector<int64_t>(1000, 7)},
                                 {"number", int64_t{3}}};
  KeepSpareAttributes(std::move(with_long_values));
  Attributes kept = TakeSpareAttributes();
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[0].value, AttributeValue(std::string(40, 's')));
  EXPECT_FALSE(std::holds_alternative<std::string>(kept[1].value));
  EXPECT_FALSE(std::holds_alternative<std::vector<int64_t>>(kept[2].value));
  EXPECT_EQ(kept[3].value, AttributeValue(int64_t{3}));
  Attributes roomy;
  roomy.reserve(1000);
  roomy.emplace_back("k", true);
  KeepSpareAttributes(std::move(roomy));
  EXPECT_EQ(TakeSpareAttributes().capacity(), 0u);
}

TEST(SpanDataPoolTest, ReplenishingPreparesSpansForTheDemandSeen) {
  ReplenishSpanDataPool();      // forget earlier tests' demand
  auto held = DrainThePools();  // thousands of these were allocated on demand
  ASSERT_EQ(SharedSpanDataPoolBytes(), 0u);
  ReplenishSpanDataPool();  // what the batch worker does after an export
  // At most 1,024 at a time, bare.
  EXPECT_EQ(SharedSpanDataPoolBytes(), 1024 * sizeof(SpanData));
  // No demand since: nothing more is prepared.
  ReplenishSpanDataPool();
  EXPECT_EQ(SharedSpanDataPoolBytes(), 1024 * sizeof(SpanData));
  auto prepared = AcquireSpanData();
  EXPECT_EQ(prepared->attributes.capacity(), 0u);
  EXPECT_LT(SharedSpanDataPoolBytes(), 1024 * sizeof(SpanData));
}

TEST(SpanDataPoolTest, SpansRecycledOneByOneReachOtherThreads) {
  // Spans that end one at a time on a thread that starts none (librdkafka's
  // broker thread, for the plugin's send spans) must not pile up in its
  // cache: past it, they go to the shared pool, where the thread that starts
  // spans finds them.
  auto held = DrainThePools();
  std::set<const SpanData*> recycled;
  std::thread ending([&] {
    for (auto& span : held) {
      recycled.insert(span.get());
      std::unique_ptr<SpanData> one[] = {std::move(span)};
      RecycleSpanData(one);
      EXPECT_EQ(one[0], nullptr);  // kept: the pools had room
    }
  });
  ending.join();
  held.clear();
  // All but what the ending thread's cache keeps (64) are shared; taking
  // 1,000 here must find them all among the recycled ones.
  size_t reused = 0;
  for (int i = 0; i < 1000; ++i) {
    auto span = AcquireSpanData();
    reused += recycled.count(span.get());
    held.push_back(std::move(span));
  }
  EXPECT_EQ(reused, 1000u);
}

}  // namespace
}  // namespace kafkatrace::detail
