// TracingProducer: librdkafka's C++ producer with OpenTelemetry tracing.
//
// Every Produce() starts a PRODUCER span `send <topic>` (child of the current
// span, or of an explicit parent), replaces any traceparent/tracestate/baggage
// headers on the record with the span's context, and ends the span when the
// broker's delivery report arrives: partition, offset, the broker that took the
// record (server.address/server.port, learned from librdkafka's responses),
// the cluster's id (messaging.kafka.cluster.id, once librdkafka's metadata has
// it), errors (error.type), and where the time went (local queue vs broker
// round trip). A produce call that fails at once ends its span with the error
// and returns it. Attributes that
// the sampler does not read (see Sampler::UsesStartAttributes) are written when
// the span ends, from the record librdkafka hands back, so Produce() itself
// writes none; the exported span is the same either way.
//
// Ownership: the TracingProducer owns the RdKafka::Producer. The Tracer (and
// its provider) must outlive it. Destruction purges undelivered records, ending
// their spans with an error. Threading: Produce() may be called from any
// thread, like librdkafka's; delivery reports, and so span ends and the
// application's own delivery callback, run on the thread that calls Poll() or
// Flush().
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "kafkatrace/metrics/messaging_metrics.h"
#include "kafkatrace/propagation/text_map_propagator.h"
#include "kafkatrace/span_context.h"
#include "kafkatrace/status.h"
#include "kafkatrace/tracer.h"
#include "kafkatrace/tracer_provider.h"

namespace kafkatrace::kafka {

struct TracingProducerOptions {
  // Writes the headers; borrowed, must outlive the producer. Default: W3C
  // tracecontext + baggage.
  const TextMapPropagator* propagator = nullptr;
  // Records messaging.client.sent.messages and the send's
  // messaging.client.operation.duration (produce call to acknowledgement,
  // as librdkafka measures it) for every record, sampled or not; borrowed,
  // must outlive the producer. Null: no metrics.
  MessagingMetrics* metrics = nullptr;
};

// One record to produce. Views are only read during the Produce() call
// (payloads are copied).
struct ProducerRecord {
  std::string_view topic;
  int32_t partition =
      RdKafka::Topic::PARTITION_UA;       // default: the partitioner decides
  std::optional<std::string_view> key;    // nullopt: no key
  std::optional<std::string_view> value;  // nullopt: tombstone
  std::vector<std::pair<std::string_view, std::string_view>>
      headers;                        // the application's
  int64_t timestamp_ms = 0;           // 0: now
  std::optional<SpanContext> parent;  // default: the current span
  void* opaque =
      nullptr;  // handed to the application's delivery report callback
};

class TracingProducer {
 public:
  // Creates the producer from `conf` (which the producer then owns). Any
  // delivery report callback set in `conf` keeps being called, after the span
  // has ended, with the record's own opaque. Errors name the bad setting.
  static Result<std::unique_ptr<TracingProducer>> Create(
      std::unique_ptr<RdKafka::Conf> conf, Tracer& tracer,
      TracingProducerOptions options = {});
  // The usual choice: the spans in kafkatrace's own instrumentation scope,
  // with its semantic conventions' schema URL (InstrumentationTracer). The
  // tracer taken above puts them in the application's scope instead.
  static Result<std::unique_ptr<TracingProducer>> Create(
      std::unique_ptr<RdKafka::Conf> conf, TracerProvider& provider,
      TracingProducerOptions options = {});
  ~TracingProducer();
  TracingProducer(const TracingProducer&) = delete;
  TracingProducer& operator=(const TracingProducer&) = delete;

  // Produces one record; returns librdkafka's immediate result (queue full,
  // unknown topic, message too large, ...). The span carries the same error in
  // that case.
  RdKafka::ErrorCode Produce(const ProducerRecord& record) noexcept;
  // Serves delivery reports; returns how many were served.
  int Poll(int timeout_ms);
  RdKafka::ErrorCode Flush(int timeout_ms);

  // The wrapped producer, for anything not traced (metadata, transactions,
  // ...). Records produced directly on it must pass a null msg_opaque: the
  // delivery callback reads a non-null opaque as TracingProducer's own state.
  RdKafka::Producer& producer() { return *producer_; }

  struct Impl;

 private:
  TracingProducer() = default;
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<RdKafka::Producer>
      producer_;  // destroyed before impl_ (callbacks use it)
};

}  // namespace kafkatrace::kafka
