// TopicHandles: the librdkafka topic handles (rd_kafka_topic_t) of the topics
// one producer produces to, so that TracingProducer::Produce names its topic
// by handle. Named by a string, librdkafka looks the topic up on every
// produce() call under the client's write lock (rd_kafka_topic_new0), about
// 250 instructions and a lock its own threads take too; a handle skips both,
// and spares the copy that makes the name NUL-terminated.
//
// Bounded: at most kMaxTopics names are kept (a name librdkafka refuses is kept
// too, without a handle). Past that, Find answers null and the caller produces
// by name, as an application without the table would. A handle keeps its topic
// known to librdkafka (its metadata refreshed) until DestroyHandles().
//
// Threading: Find may be called from any thread, concurrently; it is lock-free
// once a name is known (each added name publishes a new immutable table, and
// older tables stay until destruction, so a reader never sees one freed).
// Ownership: borrows `client`; DestroyHandles() must run before the client is
// destroyed, and no Find after it.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"

namespace kafkatrace::kafka::detail {

class TopicHandles {
 public:
  static constexpr size_t kMaxTopics = 64;

  explicit TopicHandles(rd_kafka_t* client, size_t max_topics = kMaxTopics)
      : client_(client), max_topics_(max_topics) {}
  ~TopicHandles() { DestroyHandles(); }
  TopicHandles(const TopicHandles&) = delete;
  TopicHandles& operator=(const TopicHandles&) = delete;

  // `topic`'s handle, made on first use; null when the table is full or
  // librdkafka refused the name (produce by name then: it reports why).
  rd_kafka_topic_t* Find(std::string_view topic) noexcept {
    const Entry* known =
        EntryOf(current_.load(std::memory_order_acquire), topic);
    return known != nullptr ? known->handle : Add(topic);
  }

  // Gives every handle back to librdkafka; idempotent.
  void DestroyHandles() noexcept;

 private:
  struct Entry {
    std::string_view name;     // in names_
    rd_kafka_topic_t* handle;  // null: refused
  };
  struct Table {
    std::vector<Entry> entries;  // never changed once published
  };

  // `topic`'s entry in `table` (may be null); null if none.
  static const Entry* EntryOf(const Table* table,
                              std::string_view topic) noexcept {
    if (table == nullptr) return nullptr;
    for (const Entry& entry : table->entries) {
      if (entry.name.size() == topic.size() &&
          text::EqualBytes(entry.name.data(), topic.data(), topic.size()))
        return &entry;
    }
    return nullptr;
  }
  rd_kafka_topic_t* Add(std::string_view topic) noexcept;

  rd_kafka_t* const client_;
  const size_t max_topics_;
  std::atomic<const Table*> current_{nullptr};
  std::mutex adding_;
  std::vector<std::unique_ptr<Table>> tables_;  // every one published
  std::deque<std::string> names_;  // each name once, for every table's views
};

}  // namespace kafkatrace::kafka::detail
