#include "kafka/messaging_spans.h"

#include <array>
#include <cassert>
#include <charconv>
#include <cstring>
#include <span>

#include "common/utf8.h"
#include "kafka/interned_names.h"
#include "kafka/semconv.h"
#include "kafkatrace/clock.h"
#include "trace/span_handoff.h"
#include "trace/span_starter.h"

namespace kafkatrace::kafka::detail {

namespace {
// server.address and server.port of `broker` (commit spans: the coordinator).
void SetServerAttributes(Span& span, const BrokerAddress& broker) {
  span.SetAttribute(semconv::kServerAddress, broker.host);
  span.SetAttribute(semconv::kServerPort, broker.port);
}

// A failed Kafka operation of `operation_type` ("send", "settle"): error
// status with librdkafka's description, and the `messaging.<type>.exception`
// event of the messaging conventions (v1.41+), its exception.type the error's
// name as in error.type. librdkafka reports errors, not exceptions, and these
// events are how backends list a span's failures. error.type is the caller's:
// it goes with the span's other attributes.
// `at`: the event's time (0: now).
void RecordFailure(Span& span, std::string_view operation_type,
                   rd_kafka_resp_err_t error, int64_t at = 0) {
  if (!span.IsRecording()) return;
  const char* description = rd_kafka_err2str(error);
  span.SetStatus(SpanStatusCode::kError, description);
  std::string event_name = "messaging.";
  event_name.append(operation_type).append(".exception");
  span.AddEvent(event_name,
                {{"exception.type", std::string(rd_kafka_err2name(error))},
                 {"exception.message", std::string(description)}},
                at);
}

// "<operation> <topic>" built in `buffer`, on the caller's stack, when it fits
// (Kafka topic names have at most 249 characters), else in `fallback`: a span
// name per record should not cost an allocation.
std::string_view SpanName(std::string_view operation, std::string_view topic,
                          std::span<char, 256> buffer, std::string& fallback) {
  const size_t size = operation.size() + 1 + topic.size();
  if (size > buffer.size()) {
    fallback.append(operation).append(" ").append(topic);
    return fallback;
  }
  std::memcpy(buffer.data(), operation.data(), operation.size());
  buffer[operation.size()] = ' ';
  std::memcpy(buffer.data() + operation.size() + 1, topic.data(), topic.size());
  return {buffer.data(), size};
}

// A partition number as text, in `buffer`.
std::string_view PartitionText(int32_t partition, char (&buffer)[12]) {
  return {buffer,
          static_cast<size_t>(
              std::to_chars(buffer, buffer + 12, partition).ptr - buffer)};
}
// The same, or empty for a record librdkafka has not assigned a partition.
std::string_view AssignedPartitionText(int32_t partition, char (&buffer)[12]) {
  return partition == RD_KAFKA_PARTITION_UA ? std::string_view()
                                            : PartitionText(partition, buffer);
}

// Whether a record's key goes on its span as messaging.kafka.message.key: the
// conventions want its string form, and omit keys that have none. Kafka keys
// are bytes; those that are UTF-8 text are their own string form, and any
// other (a binary UUID, an Avro-encoded key) has no canonical one. Written
// anyway, it would be invalid in OTLP, whose strict decoders drop the whole
// request for it.
bool HasStringForm(const std::optional<std::string_view>& key) {
  return key && utf8::IsValid(*key);
}

// The sampling-relevant messaging attributes every Kafka span begins with,
// passed to `set(key, value)`; `partition` empty and `server` null when not
// known.
template <typename SetFn>
void ForEachStartAttribute(std::string_view operation, std::string_view topic,
                           std::string_view partition,
                           std::string_view server_host, int32_t server_port,
                           SetFn&& set) {
  set(semconv::kMessagingSystem, "kafka");
  set(semconv::kOperationName, operation);
  set(semconv::kOperationType, operation);
  set(semconv::kDestinationName, topic);
  if (!partition.empty()) set(semconv::kPartitionId, partition);
  if (!server_host.empty()) {
    set(semconv::kServerAddress, server_host);
    set(semconv::kServerPort, server_port);
  }
}
template <typename SetFn>
void ForEachStartAttribute(std::string_view operation, std::string_view topic,
                           std::string_view partition,
                           const BrokerAddress* server, SetFn&& set) {
  ForEachStartAttribute(operation, topic, partition,
                        server != nullptr ? server->host : std::string_view(),
                        server != nullptr ? server->port : 0,
                        std::forward<SetFn>(set));
}

// Attributes gathered on the stack and set on a span in one
// Span::SetAttributes call (a Kafka span gets a dozen or more). Values are
// borrowed: what they point to must outlive SetOn. Callable as a `set(key,
// value)` for ForEachStartAttribute.
class AttributeBatch {
 public:
  // The most any Kafka span gets is 16; deferred ones are listed from here.
  static constexpr size_t kCapacity =
      kafkatrace::detail::DeferredAttributes::kMaxListed;
  void operator()(std::string_view key, AttributeArg value) {
    assert(size_ < kCapacity);
    if (size_ < kCapacity) items_[size_++] = {key, value};
  }
  std::span<const AttributeKeyValue> items() const {
    return {items_.data(), size_};
  }
  void SetOn(Span& span) const { span.SetAttributes(items()); }

 private:
  std::array<AttributeKeyValue, kCapacity> items_;
  size_t size_ = 0;
};

// Starts "<operation> <topic>". A sampler that may read the sampling-relevant
// messaging attributes sees them at start; for the others (every built-in one)
// nothing is built before the decision, and a recording span gets them from
// its caller afterwards, with the rest of its attributes.
Span StartMessagingSpan(Tracer& tracer, std::string_view operation,
                        std::string_view topic, std::string_view partition,
                        const BrokerAddress* server, SpanOptions&& options) {
  if (tracer.SamplerUsesStartAttributes()) {
    options.attributes.reserve(7);
    ForEachStartAttribute(operation, topic, partition, server,
                          [&](std::string_view key, AttributeArg value) {
                            options.attributes.emplace_back(key,
                                                            value.ToValue());
                          });
  }
  char name_buffer[256];
  std::string long_name;
  return tracer.StartSpan(SpanName(operation, topic, name_buffer, long_name),
                          std::move(options));
}

// Starts "<operation> <topic>" of `kind` as the child of `parent` (a root
// when `parent` is invalid), with no start attributes (the sampler reads
// none): one constant SpanOptions per kind serves every record, so a record
// builds and destroys none. Callers first start the spans the sampler drops
// whatever they are (SpanStarter::DropsEveryChildOf) without it.
template <SpanKind kind>
Span StartMessagingSpanOfKind(Tracer& tracer, std::string_view operation,
                              std::string_view topic,
                              const SpanContext& parent) {
  static const SpanOptions kOptions{.kind = kind, .attribute_capacity = 0};
  char name_buffer[256];
  std::string long_name;
  return kafkatrace::detail::SpanStarter::StartChildOf(
      tracer, SpanName(operation, topic, name_buffer, long_name), kOptions,
      parent);
}

// Offset, server address and port, broker round trip and local queue time,
// cluster id, error.type: see EndSendSpan.
constexpr uint32_t kMaxEndAttributes = 7;
// How many attributes a send span ends with: system, operation name and type,
// destination, partition and body size, the optional ones of `input`, and
// `end_attributes` more.
uint32_t SendAttributeCount(const SendSpanInput& input,
                            uint32_t end_attributes) {
  return 6 + static_cast<bool>(input.key) + input.tombstone +
         !input.client_id.empty() + end_attributes;
}

// A send span's attributes that describe the record and never go to a
// sampler, and, with `with_start_attributes` (the span started without them),
// the messaging start attributes with `partition` (empty: unassigned).
void AddSendAttributes(AttributeBatch& batch, const SendSpanInput& input,
                       bool with_start_attributes, std::string_view partition) {
  if (with_start_attributes) {
    ForEachStartAttribute("send", input.topic, partition, /*server=*/nullptr,
                          batch);
  }
  if (HasStringForm(input.key)) batch(semconv::kMessageKey, *input.key);
  if (input.tombstone) batch(semconv::kTombstone, true);
  batch(semconv::kBodySize, static_cast<int64_t>(input.body_size));
  if (!input.client_id.empty()) batch(semconv::kClientId, input.client_id);
}

// What the acknowledged (or rejected) record says about itself.
SendSpanInput SendInputOf(const rd_kafka_message_t* message,
                          std::string_view client_id) {
  SendSpanInput input;
  if (message->rkt != nullptr) input.topic = rd_kafka_topic_name(message->rkt);
  input.partition = message->partition;
  if (message->key != nullptr) {
    input.key = std::string_view(static_cast<const char*>(message->key),
                                 message->key_len);
  }
  input.tombstone = message->payload == nullptr;
  input.body_size = message->len;
  input.client_id = client_id;
  return input;
}
}  // namespace

Span StartSendSpan(Tracer& tracer, const SendSpanInput& input) {
  // Every attribute a sampler does not read is set when the span ends, from
  // the acknowledged record (EndSendSpan), and only then is room made for
  // them: nothing reads a span's attributes in flight, so a record waiting for
  // its acknowledgement costs its producer no attribute memory (thousands of
  // records are in flight under load, and their spans' memory goes cold).
  const SpanContext& parent =
      input.parent != nullptr ? *input.parent : Context::Current().span_context;
  using kafkatrace::detail::SpanStarter;
  // Dropped whatever it is: no name or attributes to build.
  if (SpanStarter::DropsEveryChildOf(tracer, parent))
    return SpanStarter::StartDroppedChildOf(tracer, parent);
  if (!tracer.SamplerUsesStartAttributes()) {
    // Nothing in the options varies per record.
    return StartMessagingSpanOfKind<SpanKind::kProducer>(tracer, "send",
                                                         input.topic, parent);
  }
  // The sampler reads the start attributes: room for every attribute now.
  char partition_buffer[12];
  SpanOptions options{
      .kind = SpanKind::kProducer,
      .parent = parent,
      .attribute_capacity = SendAttributeCount(input, kMaxEndAttributes)};
  return StartMessagingSpan(
      tracer, "send", input.topic,
      AssignedPartitionText(input.partition, partition_buffer),
      /*server=*/nullptr, std::move(options));
}

namespace {
// What an acknowledged record's send span ends with (see EndSendSpan).
struct AcknowledgedRecord {
  SendSpanInput input;
  bool start_attributes_set = false;  // by a sampler that reads them
  int64_t offset = -1;                // < 0: none
  std::string_view host;              // the leader's; empty: unknown
  int32_t port = 0;
  int64_t broker_rtt_us = -1;  // with local_queue_us; < 0: unknown
  int64_t local_queue_us = -1;
  std::string_view cluster_id;  // empty: unknown
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

AcknowledgedRecord AcknowledgedRecordOf(const rd_kafka_message_t* message,
                                        const SendSpanEnd& producer) {
  AcknowledgedRecord record;
  record.input = SendInputOf(message, producer.client_id);
  record.start_attributes_set = producer.tracer->SamplerUsesStartAttributes();
  record.offset = message->offset;
  record.cluster_id = producer.cluster_id;
  record.error = message->err;
  if (producer.brokers == nullptr) return record;
  const int32_t broker = rd_kafka_message_broker_id(message);
  if (const BrokerAddress* server = producer.brokers->AddressOf(broker)) {
    record.host = server->stable_host();
    record.port = server->port;
  }
  // Where the time went: librdkafka's latency is from produce() to the
  // acknowledgement; the broker's round trip is the produce request's.
  const int64_t latency_us = rd_kafka_message_latency(message);
  if (latency_us >= 0) {
    const int64_t rtt_us = producer.brokers->ProduceRttUs(broker);
    if (rtt_us > 0 && rtt_us <= latency_us) {
      record.broker_rtt_us = rtt_us;
      record.local_queue_us = latency_us - rtt_us;
    }
  }
  return record;
}

// `partition_buffer` holds the partition's text: the caller's, as it must
// outlive the batch.
void AddAcknowledgedAttributes(AttributeBatch& batch,
                               const AcknowledgedRecord& record,
                               char (&partition_buffer)[12]) {
  const std::string_view partition =
      AssignedPartitionText(record.input.partition, partition_buffer);
  AddSendAttributes(batch, record.input, !record.start_attributes_set,
                    partition);
  // The partition the record went to, unless just set among the start
  // attributes: those set at start did not have it when it was chosen by
  // librdkafka's partitioner.
  if (record.start_attributes_set && !partition.empty())
    batch(semconv::kPartitionId, partition);
  if (record.offset >= 0) batch(semconv::kOffset, record.offset);
  if (!record.host.empty()) {
    batch(semconv::kServerAddress, record.host);
    batch(semconv::kServerPort, record.port);
  }
  if (record.broker_rtt_us >= 0) {
    batch(semconv::kBrokerRttMs,
          static_cast<double>(record.broker_rtt_us) / 1000.0);
    batch(semconv::kLocalQueueMs,
          static_cast<double>(record.local_queue_us) / 1000.0);
  }
  if (!record.cluster_id.empty()) batch(semconv::kClusterId, record.cluster_id);
  if (record.error != RD_KAFKA_RESP_ERR_NO_ERROR)
    batch(semconv::kErrorType, rd_kafka_err2name(record.error));
}

// `name` interned into `to` (null for an empty name); false when the pool has
// no room for it.
bool InternInto(std::string_view name, const char*& to) noexcept {
  to = name.empty() ? nullptr : InternedNames::Intern(name);
  return name.empty() || to != nullptr;
}
std::string_view ViewOf(const char* interned) noexcept {
  return interned != nullptr ? std::string_view(interned) : std::string_view();
}

// An AcknowledgedRecord as it waits in its span for the batch processor's
// worker: the names interned, the key copied (a record's key and its topic
// handle are librdkafka's, gone after the delivery report).
struct DeferredSendFacts {
  static constexpr size_t kMaxKey = 36;  // a UUID's text fits
  static constexpr uint8_t kNoKey = 0xFF;

  // False when `record` cannot wait: a key longer than kMaxKey, an error code
  // beyond 16 bits, or a name the intern pool has no room for.
  bool Capture(const AcknowledgedRecord& record) noexcept {
    const SendSpanInput& in = record.input;
    if (in.key && in.key->size() > kMaxKey) return false;
    if (record.error < INT16_MIN || record.error > INT16_MAX) return false;
    static thread_local RepeatedNames<3> t_client_names;
    std::array<const char*, 3> names;
    if (!InternInto(in.topic, topic) ||
        !t_client_names.Intern({in.client_id, record.cluster_id, record.host},
                               names)) {
      return false;
    }
    client_id = names[0];
    cluster_id = names[1];
    host = names[2];
    offset = record.offset;
    body_size = static_cast<int64_t>(in.body_size);
    broker_rtt_us = record.broker_rtt_us;
    local_queue_us = record.local_queue_us;
    partition = in.partition;
    port = record.port;
    tombstone = in.tombstone;
    start_attributes_set = record.start_attributes_set;
    error = static_cast<int16_t>(record.error);
    key_size = in.key ? static_cast<uint8_t>(in.key->size()) : kNoKey;
    if (in.key) std::memcpy(key, in.key->data(), key_size);
    return true;
  }
  // The record again; views into this object and the intern pool.
  AcknowledgedRecord Record() const noexcept {
    AcknowledgedRecord record;
    record.input.topic = ViewOf(topic);
    record.input.partition = partition;
    if (key_size != kNoKey) record.input.key = std::string_view(key, key_size);
    record.input.tombstone = tombstone;
    record.input.body_size = static_cast<size_t>(body_size);
    record.input.client_id = ViewOf(client_id);
    record.start_attributes_set = start_attributes_set;
    record.offset = offset;
    record.host = ViewOf(host);
    record.port = port;
    record.broker_rtt_us = broker_rtt_us;
    record.local_queue_us = local_queue_us;
    record.cluster_id = ViewOf(cluster_id);
    record.error = static_cast<rd_kafka_resp_err_t>(error);
    return record;
  }

  // Interned NUL-terminated names; null for an empty one.
  const char* topic;
  const char* client_id;
  const char* cluster_id;
  const char* host;
  int64_t offset;
  int64_t body_size;
  int64_t broker_rtt_us;
  int64_t local_queue_us;
  int32_t partition;
  int32_t port;
  int16_t error;  // librdkafka's codes are small
  bool tombstone : 1;
  bool start_attributes_set : 1;
  uint8_t key_size;  // kNoKey: none
  char key[kMaxKey];
};
static_assert(sizeof(DeferredSendFacts) <=
              kafkatrace::detail::DeferredAttributes::kFactsSize);

// Runs on the batch processor's worker, or in the OTLP exporter.
void ListSendFacts(const kafkatrace::detail::DeferredAttributes& deferred,
                   kafkatrace::detail::DeferredAttributes::Sink sink) {
  const auto facts = deferred.Facts<DeferredSendFacts>();
  const AcknowledgedRecord record = facts.Record();  // views into `facts`
  char partition_buffer[12];
  AttributeBatch batch;
  AddAcknowledgedAttributes(batch, record, partition_buffer);
  sink(batch.items());
}

// A failed record's status and exception event, written by the same thread
// after its attributes: set at the delivery report, their strings would be
// allocated there and freed on the worker, and a burst of failures (a broker
// down, a purge) then contends for the application thread's malloc arena.
void FinishFailedSend(const kafkatrace::detail::DeferredAttributes& deferred,
                      Span& span, int64_t ended_at) {
  const auto facts = deferred.Facts<DeferredSendFacts>();
  RecordFailure(span, "send", static_cast<rd_kafka_resp_err_t>(facts.error),
                ended_at);
}

// Ends recording `span` with `record`'s attributes, and its failure if any.
void EndWithRecord(Span& span, const AcknowledgedRecord& record) {
  // The attributes are a dozen values written into memory that went cold
  // while the record was in flight: on this thread (the application's, or
  // librdkafka's for the plugin) they cost more than the rest of the span, so
  // the batch processor's worker writes them when it can.
  if (kafkatrace::detail::SpanHandoff::CanDeferAttributes(span)) {
    DeferredSendFacts facts;
    if (facts.Capture(record)) {
      kafkatrace::detail::SpanHandoff::EndWithDeferredAttributes(
          span, &ListSendFacts, facts,
          record.error != RD_KAFKA_RESP_ERR_NO_ERROR ? &FinishFailedSend
                                                     : nullptr);
      return;
    }
  }
  char partition_buffer[12];
  AttributeBatch batch;
  AddAcknowledgedAttributes(batch, record, partition_buffer);
  batch.SetOn(span);
  if (record.error != RD_KAFKA_RESP_ERR_NO_ERROR)
    RecordFailure(span, "send", record.error);
  span.End();
}
}  // namespace

void EndSendSpan(Span& span, const rd_kafka_message_t* message,
                 const SendSpanEnd& producer) {
  if (!span.IsRecording()) return;
  EndWithRecord(span, AcknowledgedRecordOf(message, producer));
}

void EndUnsentSendSpan(Span& span, const Tracer& tracer,
                       const SendSpanInput& input, rd_kafka_resp_err_t error) {
  if (!span.IsRecording()) return;
  // A record librdkafka never took: its attributes come from the call.
  AcknowledgedRecord record;
  record.input = input;
  record.start_attributes_set = tracer.SamplerUsesStartAttributes();
  record.error = error;
  EndWithRecord(span, record);
}

namespace {
// StartProcessSpan's general way: options built per record (links, root).
Span StartProcessSpanWithOptions(Tracer& tracer, const ProcessSpanInput& input,
                                 const SpanContext& producer,
                                 const SpanContext& ambient,
                                 std::string_view partition,
                                 const BrokerAddress* server) {
  // No room made at start: SetAttributes makes it for all at once.
  SpanOptions options{.kind = SpanKind::kConsumer, .attribute_capacity = 0};
  if (producer.IsValid()) {
    switch (input.policy) {
      case ProducerContextPolicy::kParent:
        options.parent = producer;
        // No longer the ambient span's child: keep that relation as a link.
        if (ambient.IsValid())
          options.links.push_back(SpanLink{ambient, {}, 0});
        break;
      case ProducerContextPolicy::kLink:
        options.links.push_back(SpanLink{producer, {}, 0});
        break;
      case ProducerContextPolicy::kNewTraceWithLink:
        options.root = true;
        options.links.push_back(SpanLink{producer, {}, 0});
        break;
    }
  } else if (input.policy == ProducerContextPolicy::kNewTraceWithLink) {
    options.root = true;
  }
  return StartMessagingSpan(tracer, "process", input.topic, partition, server,
                            std::move(options));
}
}  // namespace

double QueueWaitMs(int64_t consumed_unix_nanos, int64_t timestamp_ms) {
  if (timestamp_ms <= 0) return 0;
  const double wait = static_cast<double>(consumed_unix_nanos) / 1e6 -
                      static_cast<double>(timestamp_ms);
  return wait > 0 ? wait : 0;
}

namespace {
// A process span's attributes that StartProcessSpan does not start it with:
// with `with_start_attributes` (the sampler read none), the messaging start
// attributes too, with `partition` and the broker at `server_host` (empty:
// unknown); `record.server` is not read (the broker comes as host and port).
void AddProcessAttributes(AttributeBatch& batch, std::string_view topic,
                          const ConsumedRecordFacts& record,
                          double queue_wait_ms, std::string_view partition,
                          std::string_view server_host, int32_t server_port,
                          bool with_start_attributes) {
  if (with_start_attributes) {
    ForEachStartAttribute("process", topic, partition, server_host, server_port,
                          batch);
  }
  batch(semconv::kOffset, record.offset);
  if (HasStringForm(record.key)) batch(semconv::kMessageKey, *record.key);
  if (record.tombstone) batch(semconv::kTombstone, true);
  batch(semconv::kBodySize, static_cast<int64_t>(record.body_size));
  if (!record.group.empty()) batch(semconv::kConsumerGroup, record.group);
  if (!record.client_id.empty()) batch(semconv::kClientId, record.client_id);
  if (!record.cluster_id.empty()) batch(semconv::kClusterId, record.cluster_id);
  if (record.timestamp_ms > 0) {
    batch(semconv::kRecordTimestampMs, record.timestamp_ms);
    batch(semconv::kQueueWaitMs, queue_wait_ms);
  }
}

// A consumed record's facts, kept in its process span for the batch
// processor's worker to turn into attributes (as DeferredSendFacts).
struct DeferredProcessFacts {
  static constexpr size_t kMaxKey = 36;  // a UUID's text fits
  static constexpr uint8_t kNoKey = 0xFF;

  // False when `in` does not fit: a key longer than kMaxKey, a body over 4
  // GiB, or a name the intern pool has no room for.
  bool Capture(const ProcessSpanInput& start, const ConsumedRecordFacts& in,
               double wait_ms) noexcept {
    if (in.key && in.key->size() > kMaxKey) return false;
    if (in.body_size > UINT32_MAX) return false;
    const BrokerAddress* server = in.server;
    if (server != nullptr && (server->port < 0 || server->port > UINT16_MAX))
      return false;
    static thread_local RepeatedNames<4> t_client_names;
    std::array<const char*, 4> names;
    if (!InternInto(start.topic, topic) ||
        !t_client_names.Intern(
            {in.group, in.client_id, in.cluster_id,
             server != nullptr ? server->stable_host() : std::string_view()},
            names)) {
      return false;
    }
    group = names[0];
    client_id = names[1];
    cluster_id = names[2];
    host = names[3];
    offset = in.offset;
    timestamp_ms = in.timestamp_ms;
    queue_wait_ms = wait_ms;
    body_size = static_cast<uint32_t>(in.body_size);
    partition = start.partition;
    port = server != nullptr ? static_cast<uint16_t>(server->port) : 0;
    tombstone = in.tombstone;
    key_size = in.key ? static_cast<uint8_t>(in.key->size()) : kNoKey;
    if (in.key && !in.key->empty())
      std::memcpy(key, in.key->data(), in.key->size());
    return true;
  }
  // The record's facts again (no server: see host and port); views into this
  // object and the intern pool.
  ConsumedRecordFacts Facts() const noexcept {
    ConsumedRecordFacts in;
    in.offset = offset;
    if (key_size != kNoKey) in.key = std::string_view(key, key_size);
    in.tombstone = tombstone;
    in.body_size = body_size;
    in.timestamp_ms = timestamp_ms;
    in.group = ViewOf(group);
    in.client_id = ViewOf(client_id);
    in.cluster_id = ViewOf(cluster_id);
    return in;
  }

  // Interned NUL-terminated names; null for an empty one.
  const char* topic;
  const char* group;
  const char* client_id;
  const char* cluster_id;
  const char* host;  // the broker the record was fetched from
  int64_t offset;
  int64_t timestamp_ms;
  double queue_wait_ms;
  uint32_t body_size;
  int32_t partition;
  uint16_t port;
  bool tombstone;
  uint8_t key_size;  // kNoKey: the record has none
  char key[kMaxKey];
};
static_assert(sizeof(DeferredProcessFacts) <=
              kafkatrace::detail::DeferredAttributes::kFactsSize);

// Runs on the batch processor's worker, or in the OTLP exporter, once the
// span has ended.
void ListProcessFacts(const kafkatrace::detail::DeferredAttributes& deferred,
                      kafkatrace::detail::DeferredAttributes::Sink sink) {
  const auto facts = deferred.Facts<DeferredProcessFacts>();
  const ConsumedRecordFacts record = facts.Facts();  // views into `facts`
  char partition_buffer[12];
  AttributeBatch batch;
  AddProcessAttributes(batch, ViewOf(facts.topic), record, facts.queue_wait_ms,
                       PartitionText(facts.partition, partition_buffer),
                       ViewOf(facts.host), facts.port,
                       /*with_start_attributes=*/true);
  sink(batch.items());
}
}  // namespace

// Constant-initialized (no guard check per record, as function-local statics
// have).
constinit const SpanContext kNoParent{};

namespace {
// StartProcessSpan for a span the sampler is asked about: its own function,
// so that the dropped spans' way does not pay for this one's large frame
// (a span name buffer among it).
[[gnu::noinline]] Span StartProcessSpanAskingSampler(
    Tracer& tracer, const ProcessSpanInput& input, const SpanContext& producer,
    const SpanContext& ambient, const SpanContext& parent,
    FunctionRef<ConsumedRecordFacts()> read_facts) {
  char partition_buffer[12];  // formatted only when needed
  const bool needs_link =
      producer.IsValid() &&
      (input.policy != ProducerContextPolicy::kParent || ambient.IsValid());
  const bool sampler_reads_start = tracer.SamplerUsesStartAttributes();
  // The common case (a record continues its producer's trace, or starts one)
  // needs no options built per record, only the parent.
  const bool common = !needs_link && !sampler_reads_start;
  // Started in place (one expression): no empty span to move it into.
  Span span =
      common ? StartMessagingSpanOfKind<SpanKind::kConsumer>(
                   tracer, "process", input.topic, parent)
             : StartProcessSpanWithOptions(
                   tracer, input, producer, ambient,
                   PartitionText(input.partition, partition_buffer),
                   // Only a sampler that reads start attributes sees the
                   // broker's address, and only then are the facts read first.
                   sampler_reads_start ? read_facts().server : nullptr);
  if (!span.IsRecording()) return span;
  const ConsumedRecordFacts record = read_facts();
  const double queue_wait_ms = QueueWaitMs(
      record.consumed_unix_nanos != 0 ? record.consumed_unix_nanos
                                      : SystemClock::Instance().NowNanos(),
      record.timestamp_ms);
  const bool with_start_attributes = !sampler_reads_start;
  // A dozen attributes cost more than the rest of the span on the consumer's
  // thread: where only batch processors will read them, the batch worker
  // writes them, from the record's facts, after the span ends.
  if (with_start_attributes &&
      kafkatrace::detail::SpanHandoff::CanDeferAttributes(span)) {
    DeferredProcessFacts facts;
    if (facts.Capture(input, record, queue_wait_ms)) {
      kafkatrace::detail::SpanHandoff::DeferAttributes(span, &ListProcessFacts,
                                                       facts);
      return span;
    }
  }
  AttributeBatch batch;
  AddProcessAttributes(
      batch, input.topic, record, queue_wait_ms,
      PartitionText(input.partition, partition_buffer),
      record.server != nullptr ? record.server->host : std::string_view(),
      record.server != nullptr ? record.server->port : 0,
      with_start_attributes);
  batch.SetOn(span);
  return span;
}
}  // namespace

Span StartProcessSpan(Tracer& tracer, const ProcessSpanInput& input,
                      FunctionRef<ConsumedRecordFacts()> read_facts) {
  const SpanContext& producer =
      input.producer_context ? input.producer_context->span_context : kNoParent;
  const bool new_trace =
      input.policy == ProducerContextPolicy::kNewTraceWithLink;
  // The ambient span: the parent unless the producer's span or a new trace is,
  // and linked when the producer's span is the parent.
  const SpanContext& ambient =
      new_trace ? kNoParent : Context::Current().span_context;
  const SpanContext& parent =
      new_trace ? kNoParent
      : input.policy == ProducerContextPolicy::kParent && producer.IsValid()
          ? producer
          : ambient;
  // Dropped whatever its links and attributes: none to build (the usual
  // record behind a head-sampling producer).
  using kafkatrace::detail::SpanStarter;
  if (SpanStarter::DropsEveryChildOf(tracer, parent))
    return SpanStarter::StartDroppedChildOf(tracer, parent);
  return StartProcessSpanAskingSampler(tracer, input, producer, ambient, parent,
                                       read_facts);
}

std::vector<CommittedOffset> ToCommittedOffsets(
    const rd_kafka_topic_partition_list_t* offsets) {
  std::vector<CommittedOffset> out;
  if (offsets == nullptr) return out;
  for (int i = 0; i < offsets->cnt; ++i) {
    const auto& tp = offsets->elems[i];
    out.push_back({tp.topic, tp.partition, tp.offset, tp.err});
  }
  return out;
}

std::map<std::string, Span> StartCommitSpans(
    Tracer& tracer, const std::vector<CommittedOffset>& offsets,
    std::string_view group, std::string_view client_id,
    std::string_view cluster_id, int64_t start_unix_nanos) {
  std::map<std::string, Span> spans;
  for (const auto& tp : offsets) {
    if (spans.count(tp.topic)) continue;
    SpanOptions options{.kind = SpanKind::kClient,
                        .start_unix_nanos = start_unix_nanos};
    options.attributes = {{semconv::kMessagingSystem, std::string("kafka")},
                          {semconv::kOperationName, std::string("commit")},
                          {semconv::kOperationType, std::string("settle")},
                          {semconv::kDestinationName, tp.topic}};
    Span span = tracer.StartSpan("commit " + tp.topic, std::move(options));
    if (!group.empty()) span.SetAttribute(semconv::kConsumerGroup, group);
    if (!client_id.empty()) span.SetAttribute(semconv::kClientId, client_id);
    if (!cluster_id.empty()) span.SetAttribute(semconv::kClusterId, cluster_id);
    spans.emplace(tp.topic, std::move(span));
  }
  return spans;
}

rd_kafka_resp_err_t CommitErrorOf(const std::vector<CommittedOffset>& offsets,
                                  std::string_view topic,
                                  rd_kafka_resp_err_t error) {
  for (const auto& tp : offsets) {
    if (tp.topic == topic && tp.error != RD_KAFKA_RESP_ERR_NO_ERROR)
      error = tp.error;
  }
  return error;
}

void EndCommitSpans(std::map<std::string, Span>& spans,
                    const std::vector<CommittedOffset>& offsets,
                    rd_kafka_resp_err_t error,
                    const BrokerAddress* coordinator) {
  for (auto& [topic, span] : spans) {
    if (coordinator != nullptr) SetServerAttributes(span, *coordinator);
    std::vector<std::string> committed;
    const CommittedOffset* single = nullptr;
    for (const auto& tp : offsets) {
      if (tp.topic != topic) continue;
      committed.push_back(std::to_string(tp.partition) + "@" +
                          std::to_string(tp.offset));
      single = &tp;
    }
    const rd_kafka_resp_err_t topic_error =
        CommitErrorOf(offsets, topic, error);
    span.SetAttribute(semconv::kCommittedOffsets, committed);
    if (committed.size() == 1) {
      span.SetAttribute(semconv::kPartitionId,
                        std::to_string(single->partition));
      span.SetAttribute(semconv::kOffset, single->offset);
    }
    if (topic_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
      span.SetAttribute(semconv::kErrorType, rd_kafka_err2name(topic_error));
      RecordFailure(span, "settle", topic_error);
    }
    span.End();
  }
}

}  // namespace kafkatrace::kafka::detail
