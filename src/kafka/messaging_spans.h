// The Kafka span logic shared by TracingProducer/TracingConsumer (C++ API) and
// the interceptor plugin (C API): span names, kinds and semantic-convention
// attributes, and how acknowledgements and commits end spans (the trace context
// headers themselves: trace_headers.h).
// Written once, over librdkafka's C types.
#pragma once

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/broker_table.h"
#include "kafka/cluster_id.h"
#include "kafkatrace/context.h"
#include "kafkatrace/function_ref.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/span.h"
#include "kafkatrace/tracer.h"

namespace kafkatrace::kafka::detail {

struct SendSpanInput {
  std::string_view topic;
  int32_t partition = RD_KAFKA_PARTITION_UA;
  std::optional<std::string_view> key;
  bool tombstone = false;
  size_t body_size = 0;
  std::string_view client_id;
  const SpanContext* parent = nullptr;  // null: the current span
};
// Starts `send <topic>` (PRODUCER). A sampler that reads start attributes
// (Sampler::UsesStartAttributes) sees the sampling-relevant ones; every other
// attribute is set when the span ends, from the record itself (EndSendSpan,
// EndUnsentSendSpan).
Span StartSendSpan(Tracer& tracer, const SendSpanInput& input);

// What ends a producer's send spans: its tracer (the one that started them),
// client.id, its brokers' addresses and round trips, and the cluster's id
// (empty while unknown).
struct SendSpanEnd {
  const Tracer* tracer;
  std::string_view client_id;
  const BrokerTable* brokers = nullptr;
  std::string_view cluster_id;
};

// Ends the send span of a record librdkafka refused at once (`input` as given
// to StartSendSpan), with `error`.
void EndUnsentSendSpan(Span& span, const Tracer& tracer,
                       const SendSpanInput& input, rd_kafka_resp_err_t error);

// Ends a send span from the acknowledgement: the record's attributes (topic,
// key, size, ...), partition, offset, the broker's address, the local-queue /
// broker round-trip split, and error.type with an error status on failure.
void EndSendSpan(Span& span, const rd_kafka_message_t* message,
                 const SendSpanEnd& producer);

// What starting a process span needs before knowing whether it records.
struct ProcessSpanInput {
  std::string_view topic;
  int32_t partition = 0;
  const Context* producer_context = nullptr;
  ProducerContextPolicy policy = ProducerContextPolicy::kParent;
};
// A consumed record's facts that only a recording process span (or a sampler
// that reads start attributes) needs: read through a callback, so a record
// whose span does not record pays nothing for them.
struct ConsumedRecordFacts {
  int64_t offset = 0;
  std::optional<std::string_view> key;
  bool tombstone = false;
  size_t body_size = 0;
  int64_t timestamp_ms = 0;  // <= 0: unknown
  // When it was consumed, for the time it waited in Kafka; 0: now.
  int64_t consumed_unix_nanos = 0;
  std::string_view group;
  std::string_view client_id;
  std::string_view cluster_id;            // empty: unknown
  const BrokerAddress* server = nullptr;  // the broker it was fetched from
};
// What librdkafka's message itself tells: offset, key, tombstone, body size,
// timestamp and the broker it came from (`brokers`' entry, if known). The
// caller adds its names and the consume time. Views into `message`. Inline:
// read per recorded span.
inline ConsumedRecordFacts MessageFactsOf(const rd_kafka_message_t* message,
                                          const BrokerTable& brokers) noexcept {
  return {.offset = message->offset,
          .key = message->key != nullptr
                     ? std::optional<std::string_view>(std::string_view(
                           static_cast<const char*>(message->key),
                           message->key_len))
                     : std::nullopt,
          .tombstone = message->payload == nullptr,
          .body_size = message->payload != nullptr ? message->len : 0,
          .timestamp_ms = rd_kafka_message_timestamp(message, nullptr),
          .server = brokers.AddressOf(rd_kafka_message_broker_id(message))};
}
// How long a record waited in Kafka: from its timestamp (<= 0: unknown, 0
// returned) to when it was consumed, never negative (clocks differ).
double QueueWaitMs(int64_t consumed_unix_nanos, int64_t timestamp_ms);

// Starts `process <topic>` (CONSUMER) related to the producer's span per the
// policy. `read_facts` is called only when the facts are needed: for a
// recording span, and before the start too for a sampler that reads start
// attributes. What its result views must stay valid until this returns.
Span StartProcessSpan(Tracer& tracer, const ProcessSpanInput& input,
                      FunctionRef<ConsumedRecordFacts()> read_facts);

struct CommittedOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};
std::vector<CommittedOffset> ToCommittedOffsets(
    const rd_kafka_topic_partition_list_t* offsets);
// `commit <topic>` (CLIENT) spans, one per topic, started at `start_unix_nanos`
// (0: now). `cluster_id` may be empty (unknown).
std::map<std::string, Span> StartCommitSpans(
    Tracer& tracer, const std::vector<CommittedOffset>& offsets,
    std::string_view group, std::string_view client_id,
    std::string_view cluster_id, int64_t start_unix_nanos);
// The error a commit reports for `topic`: one of its partitions' own, else
// the call's (`error`).
rd_kafka_resp_err_t CommitErrorOf(const std::vector<CommittedOffset>& offsets,
                                  std::string_view topic,
                                  rd_kafka_resp_err_t error);
// `coordinator`: the broker that answered the commit, if known.
void EndCommitSpans(std::map<std::string, Span>& spans,
                    const std::vector<CommittedOffset>& offsets,
                    rd_kafka_resp_err_t error,
                    const BrokerAddress* coordinator);

}  // namespace kafkatrace::kafka::detail
