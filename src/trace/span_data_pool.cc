#include "trace/span_data_pool.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace kafkatrace::detail {
namespace {

constexpr size_t kThreadCapacity = 64;  // spans per application thread
constexpr size_t kRefill = 32;          // taken from the shared pool at once
// Replenish: at most this many spans allocated ahead per call.
constexpr size_t kMaxReplenish = 1024;
// What a pooled span may keep of its memory: lists with room for more entries,
// and long strings, are freed when it is cleared. Together with
// kSharedPoolBytes this bounds the pool; an application that once set 128
// attributes on a span must not leave thousands of such lists idle.
constexpr size_t kMaxPooledAttributes = 32;
constexpr size_t kMaxPooledEventsOrLinks = 8;
constexpr size_t kMaxPooledStringBytes = 256;
// Attribute lists kept per recycling thread: one export batch's worth (512 by
// default), at about 1.5 KiB each (a Kafka span's dozen entries). Bounded in
// what each may hold too: room for at most kMaxSpareEntries entries, and no
// string or array value larger than kMaxSpareValueBytes (an application may
// set a long value on a process span; a spare must not keep 512 of them).
constexpr size_t kSpareAttributeLists = 512;
constexpr size_t kMaxSpareEntries = 32;
constexpr size_t kMaxSpareValueBytes = 256;

// Spans application threads had to allocate because the pools were empty,
// since the last ReplenishSpanDataPool: the demand to prepare for.
std::atomic<size_t> g_allocated_on_demand{0};

// The memory a cleared span keeps (what the pool's budget counts).
size_t RetainedBytes(const SpanData& span) noexcept {
  const auto heap = [](const std::string& s) {
    return s.capacity() > 15 ? s.capacity() + 1 : 0;  // past the inline buffer
  };
  return sizeof(SpanData) + span.attributes.capacity() * sizeof(Attribute) +
         span.events.capacity() * sizeof(SpanEvent) +
         span.links.capacity() * sizeof(SpanLink) + heap(span.name) +
         heap(span.status_message);
}

struct PooledSpan {
  std::unique_ptr<SpanData> span;
  size_t bytes;  // RetainedBytes, taken when it was cleared
};

struct SharedPool {
  std::mutex mutex;
  std::vector<PooledSpan> spans;  // guarded by mutex
  size_t bytes = 0;               // guarded by mutex; at most kSharedPoolBytes
  // Adds `span` if the budget allows; false otherwise (the caller frees it).
  bool TryAdd(std::unique_ptr<SpanData>& span, size_t span_bytes) {
    if (bytes + span_bytes > kSharedPoolBytes) return false;
    spans.push_back({std::move(span), span_bytes});
    bytes += span_bytes;
    return true;
  }
  std::unique_ptr<SpanData> Take() {
    PooledSpan pooled = std::move(spans.back());
    spans.pop_back();
    bytes -= pooled.bytes;
    return std::move(pooled.span);
  }
};

SharedPool& Shared() {
  static SharedPool* pool =
      new SharedPool();  // never destroyed: used until exit
  return *pool;
}

thread_local std::vector<std::unique_ptr<SpanData>> t_cache;
thread_local std::vector<Attributes> t_spare_attributes;

// Frees `value`'s memory, keeping it empty.
template <typename T>
void Release(T& value) {
  T().swap(value);
}

// Clears `span` for reuse, keeping its lists' and strings' memory only up to
// the kMaxPooled* bounds. Returns what it keeps (RetainedBytes).
size_t Clear(SpanData& span) {
  span.parent_span_id = SpanId();
  span.parent_is_remote = false;
  span.name.clear();
  span.attributes.clear();
  span.events.clear();
  span.links.clear();
  span.status_code = SpanStatusCode::kUnset;
  span.status_message.clear();
  if (span.attributes.capacity() > kMaxPooledAttributes) [[unlikely]]
    Release(span.attributes);
  if (span.events.capacity() > kMaxPooledEventsOrLinks) [[unlikely]]
    Release(span.events);
  if (span.links.capacity() > kMaxPooledEventsOrLinks) [[unlikely]]
    Release(span.links);
  if (span.name.capacity() > kMaxPooledStringBytes) [[unlikely]]
    Release(span.name);
  if (span.status_message.capacity() > kMaxPooledStringBytes) [[unlikely]]
    Release(span.status_message);
  span.dropped_attributes_count = 0;
  span.dropped_events_count = 0;
  span.dropped_links_count = 0;
  span.resource = nullptr;
  span.scope = nullptr;
  span.deferred.lister = nullptr;
  span.deferred.finisher = nullptr;
  span.deferred.provider = nullptr;
  return RetainedBytes(span);
}

// Whether `value` holds more than kMaxSpareValueBytes of its own memory.
bool IsLarge(const AttributeValue& value) {
  const auto* string = std::get_if<std::string>(&value);
  if (string != nullptr) return string->capacity() > kMaxSpareValueBytes;
  // Scalars hold no memory; arrays (rare on Kafka spans) are never kept.
  static_assert(
      std::variant_size_v<AttributeValue> == 8 &&
      std::is_same_v<std::variant_alternative_t<2, AttributeValue>, double>);
  return value.index() > 2;  // past bool, int64_t and double
}

// Moves `list` to this thread's spares, if there is room; large values in it
// are freed first. May throw.
void KeepSpare(Attributes& list) {
  if (t_spare_attributes.size() >= kSpareAttributeLists ||
      list.capacity() == 0 || list.capacity() > kMaxSpareEntries) {
    return;
  }
  for (Attribute& attribute : list) {
    if (IsLarge(attribute.value)) attribute.value = int64_t{0};
  }
  if (t_spare_attributes.capacity() < kSpareAttributeLists)
    t_spare_attributes.reserve(kSpareAttributeLists);
  t_spare_attributes.push_back(std::move(list));
}

// Starts moving `span`'s memory into this core's cache, for writing, while
// the caller works on the span it just took. A span comes back from the batch
// worker, which exported and cleared it on another core: starting it on that
// core's lines cost 100 ns and more here, mostly stalls on the span's first
// writes and on the next atomic instruction, which waits for them.
void PrefetchForWriting(const SpanData& span) noexcept {
  const char* p = reinterpret_cast<const char*>(&span);
  for (size_t offset = 0; offset < sizeof(SpanData); offset += 64)
    __builtin_prefetch(p + offset, 1, 3);
  __builtin_prefetch(p + sizeof(SpanData) - 1, 1, 3);
}

}  // namespace

std::unique_ptr<SpanData> AcquireSpanData() {
  if (t_cache.empty()) {
    SharedPool& shared = Shared();
    std::lock_guard lock(shared.mutex);
    const size_t n = std::min(kRefill, shared.spans.size());
    for (size_t i = 0; i < n; ++i) t_cache.push_back(shared.Take());
  }
  if (t_cache.empty()) {
    g_allocated_on_demand.fetch_add(1, std::memory_order_relaxed);
    return std::make_unique<SpanData>();
  }
  std::unique_ptr<SpanData> span = std::move(t_cache.back());
  t_cache.pop_back();
  if (!t_cache.empty()) PrefetchForWriting(*t_cache.back());
  return span;  // cleared when it was recycled
}

namespace {
// The most spans the shared pool can hold: all bare.
constexpr size_t kMaxSharedSpans = kSharedPoolBytes / sizeof(SpanData);

void ReserveShared(SharedPool& shared) {
  if (shared.spans.capacity() < kMaxSharedSpans)
    shared.spans.reserve(kMaxSharedSpans);
}

// Moves up to kRefill spans from this thread's full cache to the shared pool
// in one locked step; those that do not fit are freed, outside the lock.
void SpillCache() {
  std::unique_ptr<SpanData> freed[kRefill];
  size_t bytes[kRefill];
  const size_t n = std::min(kRefill, t_cache.size());
  for (size_t i = 0; i < n; ++i)
    bytes[i] = RetainedBytes(*t_cache[t_cache.size() - 1 - i]);
  SharedPool& shared = Shared();
  std::lock_guard lock(shared.mutex);
  ReserveShared(shared);
  for (size_t i = 0; i < n; ++i) {
    if (!shared.TryAdd(t_cache.back(), bytes[i]))
      freed[i] = std::move(t_cache.back());
    t_cache.pop_back();
  }
}
}  // namespace

void RecycleSpanData(std::span<std::unique_ptr<SpanData>> spans,
                     bool keep_spare_attributes) noexcept {
  // Cleared here, where their memory is warm (just exported), so that
  // application threads take spans ready to use: clearing a recycled span on
  // its next use touched cold memory on the application's hot path.
  try {
    // One at a time, as spans end on a thread that does not start them (the
    // plugin's send spans on librdkafka's broker thread, with no processor):
    // a full cache hands part of itself over in one locked step, where the
    // general way below locked the shared pool twice per span.
    if (spans.size() == 1 && !keep_spare_attributes) {
      if (!spans[0]) return;
      if (t_cache.capacity() < kThreadCapacity)
        t_cache.reserve(kThreadCapacity);
      if (t_cache.size() >= kThreadCapacity) SpillCache();
      Clear(*spans[0]);
      t_cache.push_back(std::move(spans[0]));
      return;
    }
    // Spans whose deferred attributes were written here (deferred.provider
    // is still set, the lister cleared) leave their lists here, where the
    // next resolution will need one: the application's thread that takes the
    // span back starts it without attributes anyway. (An exporter that wrote
    // them itself left them unwritten.)
    if (keep_spare_attributes) {
      for (auto& span : spans) {
        if (span && span->deferred.provider != nullptr &&
            span->deferred.lister == nullptr)
          KeepSpare(span->attributes);
      }
    }
    if (t_cache.capacity() < kThreadCapacity) t_cache.reserve(kThreadCapacity);
    size_t i = 0;
    // The recycling thread keeps a few for itself (a synchronous exporter's
    // caller).
    for (; i < spans.size() && t_cache.size() < kThreadCapacity; ++i) {
      if (!spans[i]) continue;
      Clear(*spans[i]);
      t_cache.push_back(std::move(spans[i]));
    }
    if (i == spans.size()) return;
    SharedPool& shared = Shared();
    size_t room;
    {
      std::lock_guard lock(shared.mutex);
      room = kSharedPoolBytes - shared.bytes;
    }
    // Spans are cleared while they fit in the room seen; the rest are freed.
    // Cleared in chunks, each added in one locked step: the room may shrink
    // meanwhile (other recycling threads), and what no longer fits is freed.
    constexpr size_t kChunk = 256;
    while (i < spans.size() && room >= sizeof(SpanData)) {
      size_t bytes[kChunk];
      size_t end = i, cleared = 0;
      for (; end < spans.size() && cleared < kChunk; ++end) {
        if (!spans[end]) continue;
        bytes[cleared] = Clear(*spans[end]);
        room -= std::min(room, bytes[cleared]);
        ++cleared;
        if (room < sizeof(SpanData)) {
          ++end;
          break;
        }
      }
      std::lock_guard lock(shared.mutex);
      ReserveShared(shared);
      for (size_t k = 0; i < end; ++i) {
        if (spans[i] && !shared.TryAdd(spans[i], bytes[k++])) {
          room = 0;  // fuller than seen: free the rest
        }
      }
    }
  } catch (...) {
  }
  // Anything not taken is freed by the caller's unique_ptrs.
}

void KeepSpareAttributes(Attributes list) noexcept {
  try {
    KeepSpare(list);
  } catch (...) {
    // Out of memory: `list` is freed instead.
  }
}

Attributes TakeSpareAttributes() noexcept {
  if (t_spare_attributes.empty()) return {};
  Attributes spare = std::move(t_spare_attributes.back());
  t_spare_attributes.pop_back();
  return spare;
}

void ReplenishSpanDataPool() noexcept {
  const size_t demand =
      std::min(g_allocated_on_demand.exchange(0, std::memory_order_relaxed),
               kMaxReplenish);
  if (demand == 0) return;
  SharedPool& shared = Shared();
  size_t room;
  {
    std::lock_guard lock(shared.mutex);
    room = kSharedPoolBytes - shared.bytes;
  }
  // Only what the pool can take: spans allocated to be freed at once would
  // only churn the heap.
  const size_t wanted = std::min(demand, room / sizeof(SpanData));
  if (wanted == 0) return;
  try {
    std::vector<std::unique_ptr<SpanData>> prepared;
    prepared.reserve(wanted);
    for (size_t i = 0; i < wanted; ++i)
      prepared.push_back(std::make_unique<SpanData>());
    std::lock_guard lock(shared.mutex);
    ReserveShared(shared);
    for (auto& span : prepared) {
      if (!shared.TryAdd(span, sizeof(SpanData))) break;
    }
  } catch (...) {
    // Out of memory: application threads allocate their own, as before.
  }
}

size_t SharedSpanDataPoolBytes() noexcept {
  SharedPool& shared = Shared();
  std::lock_guard lock(shared.mutex);
  return shared.bytes;
}

}  // namespace kafkatrace::detail
