// The Kafka hop view: for each record that went producer -> topic -> consumer
// in a trace, how long publishing took (the send span), how long the record
// waited in the topic, and how long processing took, with a plain-language
// diagnosis of the parts that took the time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/stored_span.h"

namespace kafkatrace::collector {

struct KafkaHop {
  std::string topic;
  std::string send_trace_id;  // another trace's when the hop is a link
  std::string send_span_id;
  std::string process_span_id;
  int64_t publish_nanos =
      0;                   // send span: produce() until the broker acknowledged
  int64_t wait_nanos = 0;  // acknowledged until the consumer started processing
  int64_t process_nanos = 0;  // process span
  // Which parts (wait, process, publish) took the time: each that took at
  // least 0.5 s and a third of the hop, largest first, joined by "; "; for
  // publishing, whether the producer's queue or the broker took it. Empty
  // when no part did.
  std::string diagnosis;
  // The process span links to the send span rather than being its child
  // (the link and new-trace policies, or a batch's ambient parent).
  bool linked = false;
};

// Hops are CONSUMER spans whose parent is a PRODUCER span, or else that link
// to one (the first link that does). Send spans are looked up in `trace`,
// then in `linked_spans`: spans of the traces the links point into
// (LinkedTraceIds says which to load).
std::vector<KafkaHop> FindKafkaHops(
    const std::vector<StoredSpan>& trace,
    const std::vector<StoredSpan>& linked_spans = {});

// FindKafkaHops with the send spans of linked traces loaded from `store` (at
// most kMaxLinkedTraces of them; a trace that fails to load is skipped).
class SpanStore;
inline constexpr size_t kMaxLinkedTraces = 16;
std::vector<KafkaHop> FindKafkaHopsIn(SpanStore& store,
                                      const std::vector<StoredSpan>& trace);

// The traces other than their own that CONSUMER spans of `trace` link to,
// without repeats, at most `max` of them, in order of appearance.
std::vector<std::string> LinkedTraceIds(const std::vector<StoredSpan>& trace,
                                        size_t max);

// "41.2 s", "350 ms", "1.20 ms".
std::string FormatDuration(int64_t nanos);

}  // namespace kafkatrace::collector
