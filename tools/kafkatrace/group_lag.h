// A consumer group's lag, shared by `kafkatrace lag` and the viewer's topic
// table: per partition, the group's committed offset and the high watermark.
// Reads offsets only (OffsetFetch, ListOffsets); never joins the group, so the
// group's own consumers are not rebalanced. Blocking; call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kafka_settings.h"
#include "kafkatrace/status.h"

namespace kafkatrace::cli {

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t committed = 0;
  int64_t high_watermark = 0;
  int64_t lag = 0;  // high watermark minus committed, never negative
};

// Partitions where `group` has a committed offset, on `topic` (empty: every
// topic but the internal __* ones). An error names what failed.
Result<std::vector<PartitionLag>> GroupLag(const KafkaSettings& kafka,
                                           const std::string& group,
                                           const std::string& topic,
                                           int timeout_ms);

}  // namespace kafkatrace::cli
