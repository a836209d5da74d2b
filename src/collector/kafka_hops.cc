#include "collector/kafka_hops.h"

#include <algorithm>
#include <cstdio>
#include <unordered_map>

namespace kafkatrace::collector {

constexpr int kProducer = 4;
constexpr int kConsumer = 5;
constexpr int64_t kNoticeableWaitNanos = 500'000'000;

std::string FormatDuration(int64_t nanos) {
  char buf[32];
  const double ns = static_cast<double>(nanos);
  if (nanos >= 1'000'000'000) {
    std::snprintf(buf, sizeof(buf), "%.1f s", ns / 1e9);
  } else if (nanos >= 10'000'000) {
    std::snprintf(buf, sizeof(buf), "%.0f ms", ns / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f ms", ns / 1e6);
  }
  return buf;
}

std::vector<KafkaHop> FindKafkaHops(const std::vector<StoredSpan>& trace) {
  std::unordered_map<std::string, const StoredSpan*> by_id;
  for (const auto& span : trace) by_id[span.span_id] = &span;
  std::vector<KafkaHop> hops;
  for (const auto& process : trace) {
    if (process.kind != kConsumer || process.parent_span_id.empty()) continue;
    auto it = by_id.find(process.parent_span_id);
    if (it == by_id.end() || it->second->kind != kProducer) continue;
    const StoredSpan& send = *it->second;
    KafkaHop hop;
    hop.topic = !process.topic.empty() ? process.topic : send.topic;
    hop.send_span_id = send.span_id;
    hop.process_span_id = process.span_id;
    hop.publish_nanos =
        std::max<int64_t>(0, send.end_unix_nanos - send.start_unix_nanos);
    hop.wait_nanos =
        std::max<int64_t>(0, process.start_unix_nanos - send.end_unix_nanos);
    hop.process_nanos =
        std::max<int64_t>(0, process.end_unix_nanos - process.start_unix_nanos);
    const int64_t total =
        hop.publish_nanos + hop.wait_nanos + hop.process_nanos;
    // "Busy" needs both: waiting is most of the hop, and long enough for a
    // person to notice.
    if (total > 0 && hop.wait_nanos * 2 > total &&
        hop.wait_nanos >= kNoticeableWaitNanos) {
      hop.diagnosis = FormatDuration(hop.wait_nanos) + " of " +
                      FormatDuration(total) + " waiting in topic " + hop.topic +
                      ": the consumer was busy";
    }
    hops.push_back(std::move(hop));
  }
  return hops;
}

}  // namespace kafkatrace::collector
