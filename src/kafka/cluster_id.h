// ClusterId: the id of the Kafka cluster a client talks to
// (messaging.kafka.cluster.id), from librdkafka's metadata cache. librdkafka
// learns it with its first metadata response, after the client's first
// records may already be on their way, so it is asked lazily and kept once
// known; it is never waited for.
//
// Threading: Learn() only on application threads (where librdkafka's API may
// be called: produce(), poll() and the callbacks it serves, the on_send and
// on_consume interceptors), never on librdkafka's own threads; value() on any
// thread. Ownership: the view value() returns lives as long as the object
// (usually longer: it views the id's interned copy, see InternedNames).
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace kafkatrace::kafka::detail {

class ClusterId {
 public:
  ClusterId() = default;
  ~ClusterId();
  ClusterId(const ClusterId&) = delete;
  ClusterId& operator=(const ClusterId&) = delete;

  // Reads the id from librdkafka if it is not known yet, without blocking.
  // Once known this is one atomic load. Until then librdkafka is asked on
  // each of the first 64 calls (the id usually arrives within the first
  // records' round trips), then at most every 100 ms (older brokers, and
  // api.version.request=false, never report one).
  void Learn(rd_kafka_t* rk) noexcept {
    if (id_.load(std::memory_order_acquire) == nullptr) LearnSlow(rk);
  }
  // Empty until known.
  std::string_view value() const noexcept {
    const Learned* id = id_.load(std::memory_order_acquire);
    return id != nullptr ? id->view : std::string_view();
  }

 private:
  struct Learned {
    std::string copy;       // used only when the intern pool is full
    std::string_view view;  // the interned copy, or `copy`
  };
  void LearnSlow(rd_kafka_t* rk) noexcept;

  std::atomic<const Learned*> id_{nullptr};  // owned; set once
  std::atomic<uint32_t> attempts_{0};
  std::atomic<int64_t> next_attempt_ns_{0};  // steady clock
};

}  // namespace kafkatrace::kafka::detail
