#include "kafkatrace/kafka/tracing_consumer.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <deque>
#include <map>
#include <set>

#include "kafka/interned_names.h"
#include "kafka/messaging_spans.h"
#include "kafka/record_metrics.h"
#include "kafka/semconv.h"
#include "kafka/trace_headers.h"
#include "kafkatrace/clock.h"
#include "kafkatrace/kafka/instrumentation_scope.h"
#include "kafkatrace/propagation/composite_propagator.h"

namespace kafkatrace::kafka {
namespace {

const TextMapPropagator& DefaultPropagator() {
  static const auto* propagator =
      MakePropagator("tracecontext,baggage").value().release();
  return *propagator;
}

int64_t NowNanos() { return SystemClock::Instance().NowNanos(); }

// Durations are measured on the steady clock: the wall clock may step.
using Steady = std::chrono::steady_clock;
double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

}  // namespace

// ---- ConsumedRecord ----

namespace {
// librdkafka's name, not a copy: the message holds its topic handle (a copy
// of a name longer than 15 characters allocated per record).
std::string_view TopicOf(const rd_kafka_message_t* c) {
  return c->rkt != nullptr ? rd_kafka_topic_name(c->rkt) : "";
}
}  // namespace

ConsumedRecord::ConsumedRecord(std::unique_ptr<RdKafka::Message> message,
                               Context producer_context,
                               int64_t consumed_unix_nanos)
    : message_(std::move(message)),
      topic_(TopicOf(message_->c_ptr())),
      producer_context_(std::move(producer_context)),
      consumed_unix_nanos_(consumed_unix_nanos) {}

ConsumedRecord::ConsumedRecord(PollKey,
                               std::unique_ptr<RdKafka::Message> message,
                               const rd_kafka_message_t* c,
                               const detail::HeaderExtractor* extractor,
                               int64_t consumed_unix_nanos)
    : message_(std::move(message)),
      topic_(TopicOf(c)),
      // Extracted in place: no Context to move in and destroy.
      producer_context_(extractor != nullptr ? extractor->Extract(c)
                                             : Context()),
      consumed_unix_nanos_(consumed_unix_nanos) {}

std::optional<std::string_view> ConsumedRecord::key() const {
  const rd_kafka_message_t* c = message_->c_ptr();
  if (c->key == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(c->key), c->key_len);
}

std::optional<std::string_view> ConsumedRecord::value() const {
  const rd_kafka_message_t* c = message_->c_ptr();
  if (c->payload == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(c->payload), c->len);
}

double ConsumedRecord::queue_wait_ms() const {
  return detail::QueueWaitMs(consumed_unix_nanos_, timestamp_ms());
}

// ---- TracingConsumer ----

struct TracingConsumer::Impl final : public RdKafka::OffsetCommitCb {
  Tracer* tracer = nullptr;
  std::optional<detail::HeaderExtractor> extractor;  // over the propagator
  ProducerContextPolicy policy = ProducerContextPolicy::kParent;
  RdKafka::OffsetCommitCb* application_callback = nullptr;
  std::string group_id;
  std::string client_id;
  // The same, interned: the process spans' deferred facts find them by address.
  std::string_view group_name, client_name;
  detail::BrokerTable brokers;
  detail::ClusterId cluster_id;
  rd_kafka_t* handle = nullptr;  // the consumer's, for the cluster id
  // librdkafka also reports synchronous commits to offset_commit_cb, later,
  // from a poll; those are already traced around the call, so that many
  // callbacks are skipped.
  int sync_commit_reports_to_skip = 0;
  // When each pending CommitAsync call started, in order: on the wall clock
  // for its span, on the steady clock for its duration metric.
  struct CommitStart {
    int64_t unix_nanos;
    Steady::time_point steady;
  };
  std::deque<CommitStart> async_commit_starts;
  MessagingMetrics* metrics = nullptr;

  MessagingMetricAttributes RecordAttributes(
      const rd_kafka_message_t* c, std::string_view operation_name,
      std::string_view operation_type) const {
    return detail::RecordMetricAttributes(c, brokers, operation_name,
                                          operation_type, group_id);
  }

  // One commit's duration per topic, with that topic's error if any.
  void RecordCommit(const std::vector<RdKafka::TopicPartition*>& offsets,
                    RdKafka::ErrorCode error,
                    Steady::time_point steady_start) const {
    const detail::BrokerAddress* coordinator = brokers.Coordinator();
    const double seconds = SecondsSince(steady_start);
    const std::vector<detail::CommittedOffset> committed = ToCommitted(offsets);
    std::set<std::string_view> topics;
    for (const auto& tp : committed) topics.insert(tp.topic);
    for (std::string_view topic : topics) {
      const rd_kafka_resp_err_t topic_error = detail::CommitErrorOf(
          committed, topic, static_cast<rd_kafka_resp_err_t>(error));
      metrics->RecordOperationDuration(
          {.operation_name = "commit",
           .operation_type = "settle",
           .destination = topic,
           .consumer_group = group_id,
           .error_type = topic_error != RD_KAFKA_RESP_ERR_NO_ERROR
                             ? rd_kafka_err2name(topic_error)
                             : "",
           .server_address = coordinator != nullptr
                                 ? std::string_view(coordinator->host)
                                 : "",
           .server_port = coordinator != nullptr ? coordinator->port : -1},
          seconds);
    }
  }

  void offset_commit_cb(
      RdKafka::ErrorCode error,
      std::vector<RdKafka::TopicPartition*>& offsets) override {
    try {
      if (sync_commit_reports_to_skip > 0) {
        --sync_commit_reports_to_skip;
      } else {
        // Automatic commits: only the completion time is known.
        std::optional<CommitStart> start;
        if (!async_commit_starts.empty()) {
          start = async_commit_starts.front();
          async_commit_starts.pop_front();
        }
        auto spans = StartCommitSpans(offsets, start ? start->unix_nanos : 0);
        EndCommitSpans(spans, offsets, error);
        if (metrics != nullptr && start)
          RecordCommit(offsets, error, start->steady);
      }
      if (application_callback != nullptr)
        application_callback->offset_commit_cb(error, offsets);
    } catch (...) {
    }
  }

  static std::vector<detail::CommittedOffset> ToCommitted(
      const std::vector<RdKafka::TopicPartition*>& offsets) {
    std::vector<detail::CommittedOffset> out;
    for (const auto* tp : offsets) {
      out.push_back({tp->topic(), tp->partition(), tp->offset(),
                     static_cast<rd_kafka_resp_err_t>(tp->err())});
    }
    return out;
  }
  std::map<std::string, Span> StartCommitSpans(
      const std::vector<RdKafka::TopicPartition*>& offsets, int64_t start) {
    return detail::StartCommitSpans(*tracer, ToCommitted(offsets), group_id,
                                    client_id, cluster_id.value(), start);
  }
  void EndCommitSpans(std::map<std::string, Span>& spans,
                      const std::vector<RdKafka::TopicPartition*>& offsets,
                      RdKafka::ErrorCode error) const {
    detail::EndCommitSpans(spans, ToCommitted(offsets),
                           static_cast<rd_kafka_resp_err_t>(error),
                           brokers.Coordinator());
  }
};

Result<std::unique_ptr<TracingConsumer>> TracingConsumer::Create(
    std::unique_ptr<RdKafka::Conf> conf, TracerProvider& provider,
    TracingConsumerOptions options) {
  return Create(std::move(conf), InstrumentationTracer(provider),
                std::move(options));
}

Result<std::unique_ptr<TracingConsumer>> TracingConsumer::Create(
    std::unique_ptr<RdKafka::Conf> conf, Tracer& tracer,
    TracingConsumerOptions options) {
  if (!conf)
    return Status::InvalidArgument("TracingConsumer: null configuration");
  auto impl = std::make_unique<Impl>();
  impl->tracer = &tracer;
  impl->extractor.emplace(options.propagator != nullptr ? *options.propagator
                                                        : DefaultPropagator());
  impl->policy = options.policy;
  impl->metrics = options.metrics;
  if (conf->get("group.id", impl->group_id) != RdKafka::Conf::CONF_OK ||
      impl->group_id.empty()) {
    return Status::InvalidArgument("TracingConsumer: group.id must be set");
  }
  if (conf->get("client.id", impl->client_id) != RdKafka::Conf::CONF_OK)
    impl->client_id.clear();
  impl->group_name = detail::InternedNames::InternOrKeep(impl->group_id);
  impl->client_name = detail::InternedNames::InternOrKeep(impl->client_id);
  (void)conf->get(impl->application_callback);
  impl->brokers.Attach(conf->c_ptr_global());
  std::string error;
  if (conf->set("offset_commit_cb",
                static_cast<RdKafka::OffsetCommitCb*>(impl.get()),
                error) != RdKafka::Conf::CONF_OK) {
    return Status::InvalidArgument("TracingConsumer: " + error);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer)
    return Status::InvalidArgument("cannot create Kafka consumer: " + error);
  impl->handle = consumer->c_ptr();
  std::unique_ptr<TracingConsumer> result(new TracingConsumer());
  result->impl_ = std::move(impl);
  result->consumer_ = std::move(consumer);
  return result;
}

TracingConsumer::~TracingConsumer() {
  if (consumer_) consumer_->close();
}

Status TracingConsumer::Subscribe(const std::vector<std::string>& topics) {
  RdKafka::ErrorCode error = consumer_->subscribe(topics);
  if (error != RdKafka::ERR_NO_ERROR) {
    return Status::InvalidArgument("subscribe failed: " +
                                   RdKafka::err2str(error));
  }
  return Status::Ok();
}

std::optional<ConsumedRecord> TracingConsumer::Poll(int timeout_ms) {
  if (impl_->metrics != nullptr) [[unlikely]]
    return PollMeasured(timeout_ms);
  return PollRecord(timeout_ms);
}

// Out of line: most consumers have no metrics, and their Poll stays lean.
__attribute__((noinline)) std::optional<ConsumedRecord>
TracingConsumer::PollMeasured(int timeout_ms) {
  const Steady::time_point start = Steady::now();
  std::optional<ConsumedRecord> record = PollRecord(timeout_ms);
  if (record) {
    // Counted once, here, where the record reaches the application.
    const rd_kafka_message_t* c = record->message().c_ptr();
    impl_->metrics->RecordReceive(impl_->RecordAttributes(c, "poll", "receive"),
                                  c->err == RD_KAFKA_RESP_ERR_NO_ERROR ? 1 : 0,
                                  SecondsSince(start));
  }
  return record;
}

// Inlined into each poll: Poll's unmeasured path stays one call.
__attribute__((always_inline)) inline std::optional<ConsumedRecord>
TracingConsumer::PollRecord(int timeout_ms) {
  std::unique_ptr<RdKafka::Message> message(consumer_->consume(timeout_ms));
  if (!message) return std::nullopt;
  const rd_kafka_message_t* c = message->c_ptr();
  if (c->err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
      c->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return std::nullopt;
  }
  const int64_t now = NowNanos();
  impl_->cluster_id.Learn(impl_->handle);  // known by now, usually
  // Headers are read once, in place (rd_kafka_message_headers does not copy).
  // Built in place: no ConsumedRecord to move into the optional.
  return std::optional<ConsumedRecord>(
      std::in_place, ConsumedRecord::PollKey(), std::move(message), c,
      c->err == RD_KAFKA_RESP_ERR_NO_ERROR ? &*impl_->extractor : nullptr, now);
}

std::vector<ConsumedRecord> TracingConsumer::PollBatch(size_t max_records,
                                                       int timeout_ms) {
  std::vector<ConsumedRecord> batch;
  const int64_t start = NowNanos();
  const Steady::time_point steady_start = Steady::now();
  const auto deadline = steady_start + std::chrono::milliseconds(timeout_ms);
  while (batch.size() < max_records) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() < 0) break;
    auto record = PollRecord(static_cast<int>(remaining.count()));
    if (!record) {
      if (!batch.empty() || remaining.count() == 0) break;
      continue;
    }
    batch.push_back(std::move(*record));
  }
  if (batch.empty()) return batch;
  if (MessagingMetrics* const metrics = impl_->metrics; metrics != nullptr) {
    // Each record counted once, under its own topic and partition.
    for (const ConsumedRecord& record : batch) {
      const rd_kafka_message_t* c = record.message().c_ptr();
      if (c->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        metrics->RecordConsumedMessages(
            impl_->RecordAttributes(c, "poll", "receive"), 1);
      }
    }
    // The batch's duration, under the first record's topic and broker; the
    // partition varies, so it is left out.
    MessagingMetricAttributes attributes = impl_->RecordAttributes(
        batch.front().message().c_ptr(), "poll", "receive");
    attributes.partition = -1;
    attributes.error_type = "";
    metrics->RecordOperationDuration(attributes, SecondsSince(steady_start));
  }

  // One receive span for the batch; what varies per record goes on its link.
  const std::string_view topic = batch.front().topic();
  bool one_topic = true;
  for (const auto& r : batch) one_topic = one_topic && r.topic() == topic;
  SpanOptions options{.kind = SpanKind::kClient, .start_unix_nanos = start};
  options.attributes = {{semconv::kMessagingSystem, std::string("kafka")},
                        {semconv::kOperationName, std::string("poll")},
                        {semconv::kOperationType, std::string("receive")}};
  if (one_topic)
    options.attributes.emplace_back(semconv::kDestinationName,
                                    std::string(topic));
  // The broker each record was fetched from: on the span when all share one.
  auto server_of = [&](const ConsumedRecord& r) {
    return impl_->brokers.AddressOf(
        rd_kafka_message_broker_id(r.message().c_ptr()));
  };
  const detail::BrokerAddress* server = server_of(batch.front());
  bool one_server = true;
  for (const auto& r : batch) one_server = one_server && server_of(r) == server;
  if (one_server && server != nullptr) {
    options.attributes.emplace_back(semconv::kServerAddress, server->host);
    options.attributes.emplace_back(semconv::kServerPort,
                                    static_cast<int64_t>(server->port));
  }
  for (const auto& r : batch) {
    if (r.error() != RdKafka::ERR_NO_ERROR) continue;
    const SpanContext& producer = r.producer_context().span_context;
    if (!producer.IsValid()) continue;
    Attributes link_attributes{
        {semconv::kPartitionId, std::to_string(r.partition())},
        {semconv::kOffset, r.offset()}};
    if (!one_topic)
      link_attributes.emplace_back(semconv::kDestinationName,
                                   std::string(r.topic()));
    if (const detail::BrokerAddress* record_server = server_of(r);
        !one_server && record_server != nullptr) {
      link_attributes.emplace_back(semconv::kServerAddress,
                                   record_server->host);
      link_attributes.emplace_back(semconv::kServerPort,
                                   static_cast<int64_t>(record_server->port));
    }
    options.links.push_back(SpanLink{producer, std::move(link_attributes), 0});
  }
  Span span = impl_->tracer->StartSpan(
      one_topic ? "poll " + std::string(topic) : std::string("poll"),
      std::move(options));
  span.SetAttribute(semconv::kBatchCount, static_cast<int64_t>(batch.size()));
  span.SetAttribute(semconv::kConsumerGroup, impl_->group_id);
  if (!impl_->client_id.empty())
    span.SetAttribute(semconv::kClientId, impl_->client_id);
  if (const std::string_view cluster = impl_->cluster_id.value();
      !cluster.empty()) {
    span.SetAttribute(semconv::kClusterId, cluster);
  }
  span.End();
  return batch;
}

RdKafka::ErrorCode TracingConsumer::CommitTraced(
    std::vector<RdKafka::TopicPartition*>& offsets) {
  auto spans = impl_->StartCommitSpans(offsets, 0);
  const Steady::time_point start = Steady::now();
  ++impl_->sync_commit_reports_to_skip;
  RdKafka::ErrorCode error = consumer_->commitSync(offsets);
  impl_->EndCommitSpans(spans, offsets, error);
  if (impl_->metrics != nullptr) impl_->RecordCommit(offsets, error, start);
  return error;
}

RdKafka::ErrorCode TracingConsumer::CommitSync() {
  std::vector<RdKafka::TopicPartition*> partitions;
  RdKafka::ErrorCode error = consumer_->assignment(partitions);
  if (error == RdKafka::ERR_NO_ERROR) error = consumer_->position(partitions);
  // Only partitions with a position have something to commit.
  std::vector<RdKafka::TopicPartition*> offsets;
  for (auto* tp : partitions) {
    if (tp->offset() >= 0) offsets.push_back(tp);
  }
  if (error == RdKafka::ERR_NO_ERROR) {
    error = offsets.empty() ? RdKafka::ERR__NO_OFFSET : CommitTraced(offsets);
  }
  RdKafka::TopicPartition::destroy(partitions);
  return error;
}

RdKafka::ErrorCode TracingConsumer::CommitSync(const ConsumedRecord& record) {
  std::unique_ptr<RdKafka::TopicPartition> tp(RdKafka::TopicPartition::create(
      std::string(record.topic()), record.partition(), record.offset() + 1));
  std::vector<RdKafka::TopicPartition*> offsets{tp.get()};
  return CommitTraced(offsets);
}

RdKafka::ErrorCode TracingConsumer::CommitAsync() {
  RdKafka::ErrorCode error = consumer_->commitAsync();
  if (error == RdKafka::ERR_NO_ERROR)
    impl_->async_commit_starts.push_back({NowNanos(), Steady::now()});
  return error;
}

const std::string& TracingConsumer::group_id() const { return impl_->group_id; }
Tracer& TracingConsumer::tracer() { return *impl_->tracer; }

// ---- ProcessSpanScope ----

namespace {
Span StartProcessSpanOf(const TracingConsumer::Impl& impl,
                        const ConsumedRecord& record) {
  // From the C message: the C++ accessors are virtual calls each.
  const rd_kafka_message_t* c = record.message().c_ptr();
  return detail::StartProcessSpan(
      *impl.tracer,
      {.topic = record.topic(),
       .partition = c->partition,
       .producer_context = &record.producer_context(),
       .policy = impl.policy},
      [&] {
        detail::ConsumedRecordFacts facts =
            detail::MessageFactsOf(c, impl.brokers);
        facts.consumed_unix_nanos = record.consumed_unix_nanos();
        facts.group = impl.group_name;
        facts.client_id = impl.client_name;
        facts.cluster_id = impl.cluster_id.value();
        return facts;
      });
}
}  // namespace

ProcessSpanScope::ProcessSpanScope(TracingConsumer& consumer,
                                   const ConsumedRecord& record)
    // Started in place: no empty span to move it into.
    : span_(StartProcessSpanOf(*consumer.impl_, record)),
      scope_(span_.context(), record.producer_context().baggage) {
  if (consumer.impl_->metrics != nullptr) [[unlikely]]
    measurement_.emplace(consumer.impl_.get(), &record, Steady::now());
}

// Out of line, as the constructor: the per-record work stays in the library.
ProcessSpanScope::~ProcessSpanScope() {
  if (measurement_) [[unlikely]] {
    const Measurement& m = *measurement_;
    MessagingMetricAttributes attributes = m.consumer->RecordAttributes(
        m.record->message().c_ptr(), "process", "process");
    attributes.error_type = m.error_type;
    m.consumer->metrics->RecordProcessDuration(attributes,
                                               SecondsSince(m.start));
  }
}

void ProcessSpanScope::RecordError(std::string_view type,
                                   std::string_view message) {
  if (measurement_) measurement_->error_type = std::string(type);
  span_.SetAttribute(semconv::kErrorType, type);
  span_.SetStatus(SpanStatusCode::kError, message);
  span_.AddEvent("messaging.process.exception",
                 {{"exception.type", std::string(type)},
                  {"exception.message", std::string(message)}});
}

}  // namespace kafkatrace::kafka
