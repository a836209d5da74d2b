// MessagingMetrics: the OpenTelemetry messaging metrics (semantic conventions
// v1.44, status Development) for Kafka clients:
//   messaging.client.operation.duration  histogram, s: send, poll, commit
//   messaging.client.sent.messages       counter, {message}: per delivery
//                                        report, failed ones with error.type
//   messaging.client.consumed.messages   counter, {message}: per record handed
//                                        to the application, once
//   messaging.process.duration           histogram, s: the application's
//                                        processing (ProcessSpanScope)
// TracingProducer and TracingConsumer record into one when their options point
// to it, whether or not a record's span is sampled: metrics count every
// record. A PeriodicMetricReader exports it.
//
// Bounded memory: at most `cardinality_limit` attribute sets (the SDK spec's
// default limit, 2000, here shared by the four instruments, which mostly see
// the same sets); measurements under later sets go to one overflow series
// with otel.metric.overflow=true, as the OpenTelemetry SDKs do, and are
// counted in overflowed().
//
// Threading: every Record* is thread-safe, noexcept and never blocks on I/O
// (one short lock); Collect() may run concurrently with them, and reads (and
// for deltas resets) every series under that one lock, so no measurement
// falls between two collections.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "kafkatrace/metrics/metric_data.h"

namespace kafkatrace {

// A measurement's attributes. Views are read during the call only. Empty
// strings and negative numbers mean "not known" and are left out.
struct MessagingMetricAttributes {
  std::string_view operation_name;  // messaging.operation.name: send, poll...
  std::string_view operation_type;  // messaging.operation.type: send, receive,
                                    // process, settle
  std::string_view destination;     // messaging.destination.name: the topic
  int32_t partition = -1;           // messaging.destination.partition.id
  std::string_view consumer_group;  // messaging.consumer.group.name
  std::string_view error_type;      // error.type: empty when it succeeded
  std::string_view server_address;  // server.address: the broker
  int32_t server_port = -1;         // server.port
};

class MessagingMetrics {
 public:
  static constexpr size_t kDefaultCardinalityLimit = 2000;
  // The buckets the conventions recommend for both duration histograms, in
  // seconds.
  static const std::span<const double> kDurationBounds;

  explicit MessagingMetrics(
      size_t cardinality_limit = kDefaultCardinalityLimit);
  ~MessagingMetrics();
  MessagingMetrics(const MessagingMetrics&) = delete;
  MessagingMetrics& operator=(const MessagingMetrics&) = delete;

  void RecordOperationDuration(const MessagingMetricAttributes& attributes,
                               double seconds) noexcept;
  void RecordSentMessages(const MessagingMetricAttributes& attributes,
                          uint64_t count) noexcept;
  void RecordConsumedMessages(const MessagingMetricAttributes& attributes,
                              uint64_t count) noexcept;
  void RecordProcessDuration(const MessagingMetricAttributes& attributes,
                             double seconds) noexcept;
  // Both measurements of one acknowledged send (sent.messages += 1, and its
  // operation.duration unless `seconds` < 0), or of one receive
  // (consumed.messages += count, and the duration): one lookup instead of
  // two.
  void RecordSend(const MessagingMetricAttributes& attributes,
                  double seconds) noexcept;
  void RecordReceive(const MessagingMetricAttributes& attributes,
                     uint64_t count, double seconds) noexcept;

  // Every series, instruments in the order above. kCumulative: all since
  // creation. kDelta: what was measured since the previous delta collection,
  // whose aggregates it then resets (so one reader per MessagingMetrics asks
  // for deltas); series with nothing new are left out.
  MetricsSnapshot Collect(
      AggregationTemporality temporality = AggregationTemporality::kCumulative);
  // Measurements that went to an overflow series.
  uint64_t overflowed() const noexcept;

  class Table;  // src/metrics/messaging_metrics.cc

 private:
  int64_t start_unix_nanos_;
  int64_t last_delta_unix_nanos_;  // the previous delta collection
  std::unique_ptr<Table> table_;
};

}  // namespace kafkatrace
