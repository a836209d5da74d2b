#include "kafka/cluster_id.h"

#include <chrono>

#include "kafka/interned_names.h"

namespace kafkatrace::kafka::detail {

ClusterId::~ClusterId() { delete id_.load(std::memory_order_acquire); }

void ClusterId::LearnSlow(rd_kafka_t* rk) noexcept {
  constexpr uint32_t kEagerAttempts = 64;
  constexpr int64_t kRetryIntervalNs = 100'000'000;
  if (rk == nullptr || id_.load(std::memory_order_acquire) != nullptr) return;
  if (attempts_.load(std::memory_order_relaxed) < kEagerAttempts) {
    attempts_.fetch_add(1, std::memory_order_relaxed);
  } else {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    int64_t next = next_attempt_ns_.load(std::memory_order_relaxed);
    // One thread asks per interval; the others go on without it.
    if (now < next ||
        !next_attempt_ns_.compare_exchange_strong(next, now + kRetryIntervalNs,
                                                  std::memory_order_relaxed)) {
      return;
    }
  }
  char* id = rd_kafka_clusterid(rk, /*timeout_ms=*/0);
  if (id == nullptr) return;
  try {
    auto* learned = new Learned;
    learned->view = InternedNames::InternOrKeep(id);
    if (learned->view.data() == id) {  // not interned: keep a copy
      learned->copy = id;
      learned->view = learned->copy;
    }
    const Learned* expected = nullptr;
    if (!id_.compare_exchange_strong(expected, learned,
                                     std::memory_order_acq_rel)) {
      delete learned;
    }
  } catch (...) {
    // Out of memory: asked again after the interval.
  }
  rd_kafka_mem_free(rk, id);
}

}  // namespace kafkatrace::kafka::detail
