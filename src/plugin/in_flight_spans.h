// InFlightSpans: the plugin's send spans between librdkafka's on_send (on the
// application's thread, in produce()) and on_acknowledgement (on a broker
// thread), keyed by the record. An interceptor has no per-record slot of its
// own (the record's opaque is the application's, and a custom partitioner may
// read it), so a table it is, and a cheap one:
//
// * sharded by the record's address: with one mutex, the producing thread and
//   the broker thread acknowledging a batch queued on each other per record,
//   and each futex wait and wake-up cost microseconds (kcat + plugin spent
//   more time there than in tracing); with 64 shards they rarely meet;
// * open addressing, the span's data pointer inline: a lookup touches one
//   slot, where std::unordered_map touched a bucket and a node (cache misses
//   on memory the other thread wrote) and allocated and freed a node per
//   record across threads.
//
// Memory: 16 bytes per slot, at most half full; a shard grows with the records
// in flight (bounded by librdkafka's queue.buffering.max.messages) and shrinks
// as they drain.
// Ownership: the table owns the waiting spans' data; a span is ended by
// whoever takes it. Spans still waiting when the table is destroyed are freed
// unexported (take them with TakeAll first). Threading: any method, any
// thread, concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"
#include "trace/span_handoff.h"

namespace kafkatrace::plugin {

class InFlightSpans {
 public:
  InFlightSpans() = default;
  ~InFlightSpans() {
    for (Shard& shard : shards_) {
      for (const Slot& slot : shard.slots) delete slot.data;
    }
  }
  InFlightSpans(const InFlightSpans&) = delete;
  InFlightSpans& operator=(const InFlightSpans&) = delete;

  // `span` (recording; left empty) waits for `record`'s acknowledgement.
  // Returns the span that was still waiting for a record at the same address,
  // if any, for the caller to end: librdkafka freed that record without an
  // acknowledgement, so nothing else ever would. Out of memory (or for a null
  // record), `span` is lost, as if dropped. `tracer` started the spans.
  Span Add(const void* record, Span& span, const Tracer& tracer) noexcept {
    SpanData* data = detail::SpanHandoff::Release(span);
    if (data == nullptr) return Span();
    if (record == nullptr) {  // the free-slot mark: never a record's address
      delete data;
      return Span();
    }
    Shard& shard = ShardOf(record);
    SpanData* displaced = nullptr;
    {
      std::lock_guard lock(shard.mutex);
      if (!shard.Insert(record, data, displaced)) {
        delete data;
        return Span();
      }
    }
    if (displaced == nullptr) return Span();
    return detail::SpanHandoff::Adopt(displaced, tracer);
  }

  // The span waiting for `record`, no longer in the table; an empty
  // (non-recording) span if none waits. `tracer` started the spans.
  Span Take(const void* record, const Tracer& tracer) noexcept {
    Shard& shard = ShardOf(record);
    SpanData* data;
    {
      std::lock_guard lock(shard.mutex);
      data = shard.Remove(record);
    }
    if (data == nullptr) return Span();
    return detail::SpanHandoff::Adopt(data, tracer);
  }

  // Every span still waiting, no longer in the table.
  std::vector<Span> TakeAll(const Tracer& tracer) {
    std::vector<Span> spans;
    for (Shard& shard : shards_) {
      std::vector<Slot> slots;
      {
        std::lock_guard lock(shard.mutex);
        slots.swap(shard.slots);
        shard.count = 0;
      }
      for (const Slot& slot : slots) {
        if (slot.data != nullptr)
          spans.push_back(detail::SpanHandoff::Adopt(slot.data, tracer));
      }
    }
    return spans;
  }

  size_t size() {
    size_t total = 0;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mutex);
      total += shard.count;
    }
    return total;
  }

 private:
  struct Slot {
    const void* record = nullptr;  // null: free
    SpanData* data = nullptr;
  };
  // Linear probing with backward-shift removal (no tombstones), capacity a
  // power of two, grown past half full and shrunk below an eighth.
  struct alignas(64) Shard {  // a cache line each: two threads share none
    std::mutex mutex;
    std::vector<Slot> slots;  // guarded by mutex, as count
    size_t count = 0;

    size_t Home(const void* record) const noexcept {
      // A different mix from ShardOf's, whose top bits chose this shard.
      uint64_t h = reinterpret_cast<uintptr_t>(record);
      h ^= h >> 33;
      h *= 0xFF51AFD7ED558CCDull;
      h ^= h >> 33;
      return h & (slots.size() - 1);
    }
    // False when out of memory; a record already present keeps its slot,
    // with `data`, and its previous data comes back in `displaced`.
    bool Insert(const void* record, SpanData* data,
                SpanData*& displaced) noexcept {
      if ((count + 1) * 2 > slots.size() &&
          !Resize(slots.empty() ? 64 : slots.size() * 2)) {
        return false;
      }
      const size_t mask = slots.size() - 1;
      for (size_t i = Home(record);; i = (i + 1) & mask) {
        if (slots[i].record == record) {
          displaced = std::exchange(slots[i].data, data);
          return true;
        }
        if (slots[i].record == nullptr) {
          slots[i] = {record, data};
          ++count;
          return true;
        }
      }
    }
    SpanData* Remove(const void* record) noexcept {
      if (count == 0) return nullptr;
      const size_t mask = slots.size() - 1;
      size_t hole = Home(record);
      while (slots[hole].record != record) {
        if (slots[hole].record == nullptr) return nullptr;
        hole = (hole + 1) & mask;
      }
      SpanData* data = slots[hole].data;
      // Close the hole: a later slot of the same run moves back into it
      // unless that would put it before its home.
      for (size_t next = (hole + 1) & mask; slots[next].record != nullptr;
           next = (next + 1) & mask) {
        const size_t home = Home(slots[next].record);
        if (((next - home) & mask) >= ((next - hole) & mask)) {
          slots[hole] = slots[next];
          hole = next;
        }
      }
      slots[hole] = Slot{};
      --count;
      if (slots.size() > 64 && count * 8 < slots.size())
        (void)Resize(slots.size() / 2);  // stays as is if that fails
      return data;
    }
    bool Resize(size_t capacity) noexcept {
      std::vector<Slot> old;
      try {
        old = std::exchange(slots, std::vector<Slot>(capacity));
      } catch (...) {
        return false;
      }
      const size_t mask = capacity - 1;
      for (const Slot& slot : old) {
        if (slot.record == nullptr) continue;
        size_t i = Home(slot.record);
        while (slots[i].record != nullptr) i = (i + 1) & mask;
        slots[i] = slot;
      }
      return true;
    }
  };

  static constexpr int kShardBits = 6;
  Shard& ShardOf(const void* record) noexcept {
    // Records are heap blocks: their low bits are alignment; a multiplicative
    // hash's top bits pick the shard.
    const uint64_t address = reinterpret_cast<uintptr_t>(record) >> 4;
    return shards_[(address * 0x9E3779B97F4A7C15ull) >> (64 - kShardBits)];
  }
  std::array<Shard, size_t{1} << kShardBits> shards_;
};

}  // namespace kafkatrace::plugin
