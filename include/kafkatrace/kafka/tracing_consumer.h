// TracingConsumer: librdkafka's C++ KafkaConsumer with OpenTelemetry tracing.
//
// Poll() hands out ConsumedRecords that carry the producer's extracted context.
// Wrap the application's processing of a record in a ProcessSpanScope: it
// creates the CONSUMER span `process <topic>`, makes it current (so records
// produced inside continue the same trace), and ends it when the scope is
// destroyed. PollBatch() records one CLIENT span `poll <topic>` per non-empty
// batch, linked to every record's producer context. Commits made through this
// class, and librdkafka's automatic commits, produce CLIENT spans `commit
// <topic>`. Each span names its broker (server.address/server.port): the one a
// record was fetched from, or the group coordinator for commits; and its
// cluster (messaging.kafka.cluster.id), once librdkafka's metadata has it.
//
// Ownership: the TracingConsumer owns the RdKafka::KafkaConsumer and closes it
// on destruction. The Tracer (and its provider) must outlive it, and every
// ConsumedRecord must be gone before it: a record holds librdkafka's message,
// and librdkafka's destruction waits for all of them. Threading:
// like KafkaConsumer, use it from one thread. Commit callbacks (and their
// spans) run on the thread that polls.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafkatrace/context.h"
#include "kafkatrace/metrics/messaging_metrics.h"
#include "kafkatrace/propagation/text_map_propagator.h"
#include "kafkatrace/span.h"
#include "kafkatrace/status.h"
#include "kafkatrace/tracer.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::kafka {

namespace detail {
class HeaderExtractor;  // src/kafka/trace_headers.h
}  // namespace detail

// How a process span relates to the producer's context found in the record.
enum class ProducerContextPolicy {
  kParent,  // continue the producer's trace (default for single records)
  kLink,    // stay in the current trace (or start one), link to the producer's
            // span
  kNewTraceWithLink  // always a new trace, linked: keeps fan-in pipelines from
                     // giant traces
};

struct TracingConsumerOptions {
  ProducerContextPolicy policy = ProducerContextPolicy::kParent;  // see above
  // Reads the headers; borrowed, must outlive the consumer. Default: W3C
  // tracecontext + baggage.
  const TextMapPropagator* propagator = nullptr;
  // Records messaging.client.consumed.messages per record handed out,
  // messaging.client.operation.duration per poll that returned records and
  // per commit whose start is known (not librdkafka's automatic ones), and
  // messaging.process.duration per ProcessSpanScope, sampled or not;
  // borrowed, must outlive the consumer. Null: no metrics.
  MessagingMetrics* metrics = nullptr;
};

// One record as delivered to the application, with the trace context its
// producer sent.
class ConsumedRecord {
 public:
  ConsumedRecord(std::unique_ptr<RdKafka::Message> message,
                 Context producer_context, int64_t consumed_unix_nanos);

  RdKafka::Message& message() const { return *message_; }
  RdKafka::ErrorCode error() const { return message_->err(); }
  // librdkafka's name of the record's topic: valid while the record lives.
  std::string_view topic() const { return topic_; }
  int32_t partition() const { return message_->partition(); }
  int64_t offset() const { return message_->offset(); }
  std::optional<std::string_view> key() const;
  std::optional<std::string_view> value() const;  // nullopt: tombstone
  int64_t timestamp_ms() const { return message_->timestamp().timestamp; }
  // What the producer injected; an invalid span context means none (a new
  // trace).
  const Context& producer_context() const { return producer_context_; }
  // How long the record waited in Kafka: consume time minus the record's
  // timestamp.
  double queue_wait_ms() const;
  int64_t consumed_unix_nanos() const { return consumed_unix_nanos_; }

  // Only TracingConsumer makes one: the key to the constructor below.
  class PollKey {
    friend class TracingConsumer;
    PollKey() = default;
  };
  // TracingConsumer::Poll's: `c` is `message`'s C record, whose producer
  // context `extractor` reads straight into place (null: none, for an error
  // record). Public only for std::optional's in-place construction.
  ConsumedRecord(PollKey, std::unique_ptr<RdKafka::Message> message,
                 const struct rd_kafka_message_s* c,
                 const detail::HeaderExtractor* extractor,
                 int64_t consumed_unix_nanos);

 private:
  std::unique_ptr<RdKafka::Message> message_;
  std::string_view topic_;  // owned by message_'s topic handle
  Context producer_context_;
  int64_t consumed_unix_nanos_;
};

class TracingConsumer {
 public:
  // Creates the consumer from `conf` (group.id required). An offset commit
  // callback set in `conf` keeps being called; rebalance callbacks are
  // untouched.
  static Result<std::unique_ptr<TracingConsumer>> Create(
      std::unique_ptr<RdKafka::Conf> conf, Tracer& tracer,
      TracingConsumerOptions options = {});
  // The usual choice: the spans in kafkatrace's own instrumentation scope,
  // with its semantic conventions' schema URL (InstrumentationTracer). The
  // tracer taken above puts them in the application's scope instead.
  static Result<std::unique_ptr<TracingConsumer>> Create(
      std::unique_ptr<RdKafka::Conf> conf, TracerProvider& provider,
      TracingConsumerOptions options = {});
  ~TracingConsumer();
  TracingConsumer(const TracingConsumer&) = delete;
  TracingConsumer& operator=(const TracingConsumer&) = delete;

  Status Subscribe(const std::vector<std::string>& topics);
  // One record; nullopt on timeout or end of partition. Consumer errors come
  // back as a record whose error() is set (no span for those).
  std::optional<ConsumedRecord> Poll(int timeout_ms);
  // Up to `max_records` arriving within `timeout_ms`. A non-empty batch gets
  // one `poll` span with a link per record; an empty one gets no span at all.
  std::vector<ConsumedRecord> PollBatch(size_t max_records, int timeout_ms);

  // Commits the current positions of all assigned partitions, traced.
  RdKafka::ErrorCode CommitSync();
  // Commits the offset after `record`, traced.
  RdKafka::ErrorCode CommitSync(const ConsumedRecord& record);
  // Starts an asynchronous commit; its span ends when the result arrives
  // (during a poll).
  RdKafka::ErrorCode CommitAsync();

  RdKafka::KafkaConsumer& consumer() { return *consumer_; }
  const std::string& group_id() const;
  Tracer& tracer();

  struct Impl;

 private:
  friend class ProcessSpanScope;
  TracingConsumer() = default;
  RdKafka::ErrorCode CommitTraced(
      std::vector<RdKafka::TopicPartition*>& offsets);
  // Poll without the metrics (Poll and PollBatch record them).
  std::optional<ConsumedRecord> PollRecord(int timeout_ms);
  // Poll, with the metrics.
  std::optional<ConsumedRecord> PollMeasured(int timeout_ms);
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;  // destroyed before impl_
};

// RAII: the CONSUMER span `process <topic>` around the application's handling
// of one record. Construction starts the span (per the consumer's
// ProducerContextPolicy) and makes it current together with the record's
// baggage; destruction restores the previous context and ENDS the span. Create
// and destroy it on the same thread, innermost scopes first. The record must
// outlive the scope.
class ProcessSpanScope {
 public:
  ProcessSpanScope(TracingConsumer& consumer, const ConsumedRecord& record);
  ~ProcessSpanScope();  // scope_ restored, then span_ ended
  ProcessSpanScope(const ProcessSpanScope&) = delete;
  ProcessSpanScope& operator=(const ProcessSpanScope&) = delete;

  Span& span() { return span_; }
  // Marks the processing as failed: error.type, error status, and an exception
  // event.
  void RecordError(std::string_view type, std::string_view message);

 private:
  // For messaging.process.duration; only when the consumer records metrics.
  struct Measurement {
    Measurement(const TracingConsumer::Impl* c, const ConsumedRecord* r,
                std::chrono::steady_clock::time_point started)
        : consumer(c), record(r), start(started) {}
    const TracingConsumer::Impl* consumer;
    const ConsumedRecord* record;
    std::chrono::steady_clock::time_point start;
    std::string error_type;  // RecordError's
  };
  std::optional<Measurement> measurement_;
  Span span_;
  // Declared after span_: made current once the span has started, restored
  // (destroyed) before the span's own destructor ends it.
  ContextScope scope_;
};

}  // namespace kafkatrace::kafka
