#include "kafka/topic_handles.h"

namespace kafkatrace::kafka::detail {

[[gnu::noinline]] rd_kafka_topic_t* TopicHandles::Add(
    std::string_view topic) noexcept {
  try {
    std::lock_guard lock(adding_);
    const Table* current = current_.load(std::memory_order_relaxed);
    // Another thread may have added it meanwhile.
    if (const Entry* known = EntryOf(current, topic)) return known->handle;
    if ((current != nullptr ? current->entries.size() : 0) >= max_topics_)
      return nullptr;
    auto next = std::make_unique<Table>();
    if (current != nullptr) next->entries = current->entries;
    // Room first: once librdkafka has made the handle, nothing may throw.
    next->entries.reserve(next->entries.size() + 1);
    tables_.reserve(tables_.size() + 1);
    const std::string& name = names_.emplace_back(topic);
    // Default topic configuration, as a produce() by name gets; an existing
    // topic object (with the application's own configuration) is shared.
    rd_kafka_topic_t* handle =
        rd_kafka_topic_new(client_, name.c_str(), nullptr);
    next->entries.push_back(Entry{name, handle});
    tables_.push_back(std::move(next));
    current_.store(tables_.back().get(), std::memory_order_release);
    return handle;
  } catch (...) {
    return nullptr;  // out of memory: by name
  }
}

void TopicHandles::DestroyHandles() noexcept {
  std::lock_guard lock(adding_);
  const Table* current = current_.exchange(nullptr, std::memory_order_acq_rel);
  // The newest table holds every handle ever made.
  if (current != nullptr) {
    for (const Entry& entry : current->entries) {
      if (entry.handle != nullptr) rd_kafka_topic_destroy(entry.handle);
    }
  }
  tables_.clear();
  names_.clear();
}

}  // namespace kafkatrace::kafka::detail
