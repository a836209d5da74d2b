#include "trace/span_data_pool.h"

#include <mutex>
#include <vector>

namespace kafkatrace::detail {
namespace {

constexpr size_t kSharedCapacity = 4096;  // spans kept for reuse process-wide
constexpr size_t kThreadCapacity = 64;    // per application thread
constexpr size_t kRefill = 32;            // taken from the shared pool at once

struct SharedPool {
  std::mutex mutex;
  std::vector<std::unique_ptr<SpanData>> spans;  // guarded by mutex
};

SharedPool& Shared() {
  static SharedPool* pool =
      new SharedPool();  // never destroyed: used until exit
  return *pool;
}

thread_local std::vector<std::unique_ptr<SpanData>> t_cache;

void Clear(SpanData& span) {
  span.parent_span_id = SpanId();
  span.parent_is_remote = false;
  span.name.clear();
  span.attributes.clear();
  span.events.clear();
  span.links.clear();
  span.status_code = SpanStatusCode::kUnset;
  span.status_message.clear();
  span.dropped_attributes_count = 0;
  span.dropped_events_count = 0;
  span.dropped_links_count = 0;
  span.resource = nullptr;
  span.scope = nullptr;
}

}  // namespace

std::unique_ptr<SpanData> AcquireSpanData() {
  if (t_cache.empty()) {
    SharedPool& shared = Shared();
    std::lock_guard lock(shared.mutex);
    size_t n = std::min(kRefill, shared.spans.size());
    for (size_t i = 0; i < n; ++i) {
      t_cache.push_back(std::move(shared.spans.back()));
      shared.spans.pop_back();
    }
  }
  if (t_cache.empty()) return std::make_unique<SpanData>();
  std::unique_ptr<SpanData> span = std::move(t_cache.back());
  t_cache.pop_back();
  Clear(*span);  // on the acquiring thread, so any frees happen where memory
                 // was allocated
  return span;
}

void RecycleSpanData(std::span<std::unique_ptr<SpanData>> spans) noexcept {
  try {
    if (t_cache.capacity() < kThreadCapacity) t_cache.reserve(kThreadCapacity);
    size_t i = 0;
    // The recycling thread keeps a few for itself (a synchronous exporter's
    // caller).
    for (; i < spans.size() && t_cache.size() < kThreadCapacity; ++i) {
      if (spans[i]) t_cache.push_back(std::move(spans[i]));
    }
    if (i == spans.size()) return;
    SharedPool& shared = Shared();
    std::lock_guard lock(shared.mutex);
    if (shared.spans.capacity() < kSharedCapacity)
      shared.spans.reserve(kSharedCapacity);
    for (; i < spans.size() && shared.spans.size() < kSharedCapacity; ++i) {
      if (spans[i]) shared.spans.push_back(std::move(spans[i]));
    }
  } catch (...) {
  }
  // Anything not taken is freed by the caller's unique_ptrs.
}

}  // namespace kafkatrace::detail
