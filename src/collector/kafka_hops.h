// The Kafka hop view: for each record that went producer -> topic -> consumer
// in a trace, how long publishing took (the send span), how long the record
// waited in the topic, and how long processing took, with a plain-language
// diagnosis when waiting dominates.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "collector/stored_span.h"

namespace kafkatrace::collector {

struct KafkaHop {
  std::string topic;
  std::string send_span_id;
  std::string process_span_id;
  int64_t publish_nanos =
      0;                   // send span: produce() until the broker acknowledged
  int64_t wait_nanos = 0;  // acknowledged until the consumer started processing
  int64_t process_nanos = 0;  // process span
  std::string
      diagnosis;  // set when the wait is most of the hop and at least 0.5 s
};

// Hops are CONSUMER spans whose parent is a PRODUCER span of the same trace.
std::vector<KafkaHop> FindKafkaHops(const std::vector<StoredSpan>& trace);

// "41.2 s", "350 ms", "1.20 ms".
std::string FormatDuration(int64_t nanos);

}  // namespace kafkatrace::collector
