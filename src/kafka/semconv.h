// OpenTelemetry messaging semantic convention names (v1.44), spelled once.
#pragma once

namespace kafkatrace::kafka::semconv {

inline constexpr const char* kMessagingSystem = "messaging.system";
inline constexpr const char* kOperationName = "messaging.operation.name";
inline constexpr const char* kOperationType = "messaging.operation.type";
inline constexpr const char* kDestinationName = "messaging.destination.name";
inline constexpr const char* kPartitionId =
    "messaging.destination.partition.id";
inline constexpr const char* kMessageKey = "messaging.kafka.message.key";
inline constexpr const char* kOffset = "messaging.kafka.offset";
inline constexpr const char* kTombstone = "messaging.kafka.message.tombstone";
inline constexpr const char* kConsumerGroup = "messaging.consumer.group.name";
inline constexpr const char* kClientId = "messaging.client.id";
inline constexpr const char* kClusterId = "messaging.kafka.cluster.id";
inline constexpr const char* kBodySize = "messaging.message.body.size";
inline constexpr const char* kBatchCount = "messaging.batch.message_count";
inline constexpr const char* kServerAddress = "server.address";
inline constexpr const char* kServerPort = "server.port";
inline constexpr const char* kErrorType = "error.type";

// kafkatrace's own attributes, for where the time went.
// Producer: time between produce() and the broker's acknowledgement, split into
// the part spent in librdkafka's local queue (linger, batching, waiting for a
// connection) and the broker round trip of the ProduceRequest that carried the
// record.
inline constexpr const char* kLocalQueueMs = "kafkatrace.send.local_queue_ms";
inline constexpr const char* kBrokerRttMs = "kafkatrace.send.broker_rtt_ms";
// Consumer: how long the record sat in Kafka (consume time - record timestamp).
inline constexpr const char* kQueueWaitMs = "kafkatrace.record.queue_wait_ms";
inline constexpr const char* kRecordTimestampMs =
    "kafkatrace.record.timestamp_ms";
inline constexpr const char* kCommittedOffsets = "kafkatrace.commit.offsets";

}  // namespace kafkatrace::kafka::semconv
