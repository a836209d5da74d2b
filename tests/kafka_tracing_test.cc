// TracingProducer and TracingConsumer against librdkafka's mock cluster.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <set>
#include <sstream>

#include "kafka/topic_handles.h"
#include "kafkatrace/kafka/instrumentation_scope.h"
#include "kafkatrace/kafka/tracing_consumer.h"
#include "kafkatrace/kafka/tracing_producer.h"
#include "kafkatrace/metrics/messaging_metrics.h"
#include "kafkatrace/sampler.h"
#include "otlp/otlp_encoder.h"
#include "support/mock_cluster.h"
#include "support/test_tracing.h"

namespace kafkatrace::kafka {
namespace {

using testing::MockCluster;
using testing::TestTracing;

const std::string kRemoteTraceParent =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string Str(const SpanData& span, const char* key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v != nullptr && std::holds_alternative<std::string>(*v)
             ? std::get<std::string>(*v)
             : "";
}
int64_t Int(const SpanData& span, const char* key) {
  const AttributeValue* v = FindAttribute(span.attributes, key);
  return v != nullptr && std::holds_alternative<int64_t>(*v)
             ? std::get<int64_t>(*v)
             : -999;
}
// Attribute keys are unique within a span (OpenTelemetry).
bool KeysAreUnique(const SpanData& span) {
  std::set<std::string> keys;
  for (const auto& attribute : span.attributes) {
    if (!keys.insert(attribute.key.str()).second) return false;
  }
  return true;
}
std::vector<SpanData> Named(const std::vector<SpanData>& spans,
                            const std::string& name) {
  std::vector<SpanData> out;
  for (const auto& s : spans) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

// The messaging conventions' exception event of a failed `operation_type`:
// librdkafka's error name and description.
void ExpectExceptionEvent(const SpanData& span, const std::string& type,
                          const std::string& error_name) {
  ASSERT_EQ(span.events.size(), 1u) << span.name;
  const SpanEvent& event = span.events[0];
  EXPECT_EQ(event.name, "messaging." + type + ".exception");
  EXPECT_EQ(*FindAttribute(event.attributes, "exception.type"),
            AttributeValue(error_name));
  EXPECT_EQ(*FindAttribute(event.attributes, "exception.message"),
            AttributeValue(span.status_message));
  EXPECT_FALSE(span.status_message.empty());
}

// What an OtlpEncodingCheckExporter saw.
struct OtlpEncodingCheck {
  std::atomic<int> spans_as_facts{0};  // arrived with attributes unwritten
  std::atomic<int> spans{0};
  std::atomic<int> mismatched_batches{0};
};

// Encodes each batch as kafkatrace's OTLP exporter does, attributes still held
// as facts written straight from them, and checks the bytes (protobuf and
// JSON) against those of the same spans with their attributes written first;
// stores the written spans.
class OtlpEncodingCheckExporter final : public SpanExporter {
 public:
  OtlpEncodingCheckExporter(std::shared_ptr<InMemorySpanStore> store,
                            OtlpEncodingCheck& check)
      : store_(std::move(store)), check_(check) {}
  bool ExportsDeferredAttributes() const noexcept override { return true; }
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline) noexcept override {
    std::vector<std::unique_ptr<SpanData>> written;
    for (const auto& span : batch) {
      if (span->deferred.lister != nullptr) ++check_.spans_as_facts;
      ++check_.spans;
      written.push_back(std::make_unique<SpanData>(*span));
      kafkatrace::detail::ResolveDeferredAttributes(*written.back());
    }
    std::string as_facts[2], as_written[2];
    otlp::EncodeProtobuf(batch, as_facts[0]);
    otlp::EncodeJson(batch, as_facts[1]);
    otlp::EncodeProtobuf(written, as_written[0]);
    otlp::EncodeJson(written, as_written[1]);
    if (as_facts[0] != as_written[0] || as_facts[1] != as_written[1])
      ++check_.mismatched_batches;
    for (auto& span : written) store_->Add(std::move(span));
    return ExportResult::kSuccess;
  }

 private:
  std::shared_ptr<InMemorySpanStore> store_;
  OtlpEncodingCheck& check_;
};
TestTracing::ExporterFactory OtlpEncodingChecked(OtlpEncodingCheck& check) {
  return [&check](std::shared_ptr<InMemorySpanStore> store) {
    return std::make_unique<OtlpEncodingCheckExporter>(std::move(store), check);
  };
}

class KafkaTracingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.CreateTopic("questions", 2);
    cluster_.CreateTopic("answers", 1);
  }
  std::unique_ptr<TracingProducer> Producer(
      std::unique_ptr<RdKafka::Conf> conf = nullptr) {
    auto producer = TracingProducer::Create(
        conf ? std::move(conf) : cluster_.ProducerConf(), tracing_.tracer());
    EXPECT_TRUE(producer.ok()) << producer.status().message();
    return std::move(producer.value());
  }
  // A producer configuration that also calls the application's `callback`.
  std::unique_ptr<RdKafka::Conf> ProducerConfWith(
      RdKafka::DeliveryReportCb& callback) {
    auto conf = cluster_.ProducerConf();
    std::string error;
    EXPECT_EQ(conf->set("dr_cb", &callback, error), RdKafka::Conf::CONF_OK)
        << error;
    return conf;
  }
  std::unique_ptr<TracingConsumer> Consumer(
      const std::string& topic, TracingConsumerOptions options = {},
      std::unique_ptr<RdKafka::Conf> conf = nullptr) {
    auto consumer = TracingConsumer::Create(
        conf ? std::move(conf) : cluster_.ConsumerConf("g1"), tracing_.tracer(),
        options);
    EXPECT_TRUE(consumer.ok()) << consumer.status().message();
    EXPECT_TRUE((*consumer)->Subscribe({topic}).ok());
    return std::move(consumer.value());
  }
  static std::optional<ConsumedRecord> PollOne(TracingConsumer& consumer) {
    for (int i = 0; i < 100; ++i) {
      if (auto record = consumer.Poll(100)) return record;
    }
    return std::nullopt;
  }
  // Assigns `consumer` these partitions of `topic` from their first record:
  // assigned, not subscribed, so there is no group to join.
  static RdKafka::ErrorCode AssignFromStart(TracingConsumer& consumer,
                                            const std::string& topic,
                                            std::vector<int32_t> partitions) {
    std::vector<std::unique_ptr<RdKafka::TopicPartition>> owned;
    std::vector<RdKafka::TopicPartition*> assignment;
    for (int32_t partition : partitions) {
      owned.emplace_back(RdKafka::TopicPartition::create(
          topic, partition, RdKafka::Topic::OFFSET_BEGINNING));
      assignment.push_back(owned.back().get());
    }
    return consumer.consumer().assign(assignment);
  }
  // Produces a record through a bare (untraced) librdkafka producer with the
  // given headers.
  void ProduceRaw(const std::string& topic,
                  std::vector<std::pair<std::string, std::string>> headers) {
    std::string error;
    std::unique_ptr<RdKafka::Producer> raw(
        RdKafka::Producer::create(cluster_.ProducerConf().get(), error));
    ASSERT_TRUE(raw) << error;
    RdKafka::Headers* h =
        headers.empty() ? nullptr : RdKafka::Headers::create();
    for (auto& [k, v] : headers) h->add(k, v);
    std::string value = "raw";
    ASSERT_EQ(
        raw->produce(topic, 0, RdKafka::Producer::RK_MSG_COPY, value.data(),
                     value.size(), nullptr, 0, 0, h, nullptr),
        RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(raw->flush(5000), RdKafka::ERR_NO_ERROR);
  }

  // The id the mock cluster reports in its metadata, asked by a client of
  // its own.
  std::string ClusterIdOfTheMock() {
    auto producer = Producer();
    char* id = rd_kafka_clusterid(producer->producer().c_ptr(), 5000);
    EXPECT_NE(id, nullptr);
    std::string result = id != nullptr ? id : "";
    rd_kafka_mem_free(nullptr, id);
    return result;
  }

  MockCluster cluster_;
  TestTracing tracing_;
};

TEST_F(KafkaTracingTest, RoundTripFormsOneConnectedTrace) {
  auto producer = Producer();
  // Until librdkafka's metadata has the cluster id, spans go without it; wait
  // for it here, so that even the first record's span must carry it.
  rd_kafka_mem_free(nullptr,
                    rd_kafka_clusterid(producer->producer().c_ptr(), 5000));
  Span request = tracing_.tracer().StartSpan("POST /questions",
                                             {.kind = SpanKind::kServer});
  {
    ContextScope scope(request);
    ASSERT_EQ(producer->Produce({.topic = "questions",
                                 .key = "user-7",
                                 .value = "why?",
                                 .headers = {{"content-type", "text/plain"}}}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  request.End();

  auto consumer = Consumer("questions");
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->value(), "why?");
  EXPECT_EQ(record->producer_context().span_context.trace_id(),
            request.context().trace_id());
  {
    ProcessSpanScope process(*consumer, *record);
    EXPECT_EQ(Context::Current().span_context, process.span().context());
    ASSERT_EQ(producer->Produce({.topic = "answers", .value = "because"}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);

  auto spans = tracing_.spans();
  auto send = Named(spans, "send questions");
  auto process = Named(spans, "process questions");
  auto answer = Named(spans, "send answers");
  ASSERT_EQ(send.size(), 1u);
  ASSERT_EQ(process.size(), 1u);
  ASSERT_EQ(answer.size(), 1u);
  const TraceId trace = request.context().trace_id();
  EXPECT_EQ(send[0].context.trace_id(), trace);
  EXPECT_EQ(send[0].parent_span_id, request.context().span_id());
  EXPECT_EQ(send[0].kind, SpanKind::kProducer);
  EXPECT_EQ(Str(send[0], "messaging.system"), "kafka");
  EXPECT_EQ(Str(send[0], "messaging.operation.name"), "send");
  EXPECT_EQ(Str(send[0], "messaging.operation.type"), "send");
  EXPECT_EQ(Str(send[0], "messaging.destination.name"), "questions");
  EXPECT_EQ(Str(send[0], "messaging.destination.partition.id"),
            std::to_string(record->partition()));
  EXPECT_EQ(Int(send[0], "messaging.kafka.offset"), record->offset());
  EXPECT_EQ(Str(send[0], "messaging.kafka.message.key"), "user-7");
  EXPECT_EQ(Int(send[0], "messaging.message.body.size"), 4);
  EXPECT_EQ(Str(send[0], "messaging.client.id"), "kafkatrace-test");
  EXPECT_NE(FindAttribute(send[0].attributes, "kafkatrace.send.broker_rtt_ms"),
            nullptr);
  EXPECT_NE(FindAttribute(send[0].attributes, "kafkatrace.send.local_queue_ms"),
            nullptr);
  EXPECT_EQ(send[0].status_code, SpanStatusCode::kUnset);
  EXPECT_TRUE(KeysAreUnique(send[0]));

  EXPECT_EQ(process[0].context.trace_id(), trace);
  EXPECT_EQ(process[0].parent_span_id, send[0].context.span_id());
  EXPECT_TRUE(process[0].parent_is_remote);
  EXPECT_EQ(process[0].kind, SpanKind::kConsumer);
  EXPECT_EQ(Str(process[0], "messaging.operation.type"), "process");
  EXPECT_EQ(Str(process[0], "messaging.consumer.group.name"), "g1");
  EXPECT_EQ(Int(process[0], "messaging.kafka.offset"), record->offset());
  EXPECT_EQ(Str(process[0], "messaging.kafka.message.key"), "user-7");
  EXPECT_NE(
      FindAttribute(process[0].attributes, "kafkatrace.record.queue_wait_ms"),
      nullptr);
  EXPECT_EQ(
      FindAttribute(process[0].attributes, "messaging.kafka.message.tombstone"),
      nullptr);

  EXPECT_EQ(answer[0].context.trace_id(), trace);
  EXPECT_EQ(answer[0].parent_span_id, process[0].context.span_id());

  // messaging.kafka.cluster.id, from librdkafka's metadata.
  const std::string cluster = ClusterIdOfTheMock();
  ASSERT_FALSE(cluster.empty());
  EXPECT_EQ(Str(send[0], "messaging.kafka.cluster.id"), cluster);
  EXPECT_EQ(Str(process[0], "messaging.kafka.cluster.id"), cluster);
  EXPECT_EQ(Str(answer[0], "messaging.kafka.cluster.id"), cluster);
}

TEST_F(KafkaTracingTest, LinkPolicyKeepsAmbientTraceAndLinksProducer) {
  auto producer = Producer();
  ASSERT_EQ(
      producer->Produce({.topic = "questions", .partition = 0, .value = "q"}),
      RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto consumer =
      Consumer("questions", {.policy = ProducerContextPolicy::kLink});
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  Span ambient = tracing_.tracer().StartSpan("worker loop");
  {
    ContextScope scope(ambient);
    ProcessSpanScope process(*consumer, *record);
  }
  ambient.End();
  auto send = Named(tracing_.spans(), "send questions")[0];
  auto process = Named(tracing_.spans(), "process questions")[0];
  EXPECT_EQ(process.context.trace_id(), ambient.context().trace_id());
  EXPECT_EQ(process.parent_span_id, ambient.context().span_id());
  ASSERT_EQ(process.links.size(), 1u);
  EXPECT_EQ(process.links[0].context.span_id(), send.context.span_id());
  EXPECT_EQ(process.links[0].context.trace_id(), send.context.trace_id());
}

TEST_F(KafkaTracingTest, NewTracePolicyStartsARootWithALink) {
  auto producer = Producer();
  ASSERT_EQ(producer->Produce({.topic = "questions", .value = "q"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto consumer = Consumer(
      "questions", {.policy = ProducerContextPolicy::kNewTraceWithLink});
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  Span ambient = tracing_.tracer().StartSpan("worker loop");
  {
    ContextScope scope(ambient);
    ProcessSpanScope process(*consumer, *record);
  }
  auto send = Named(tracing_.spans(), "send questions")[0];
  auto process = Named(tracing_.spans(), "process questions")[0];
  EXPECT_FALSE(process.parent_span_id.IsValid());
  EXPECT_NE(process.context.trace_id(), send.context.trace_id());
  EXPECT_NE(process.context.trace_id(), ambient.context().trace_id());
  ASSERT_EQ(process.links.size(), 1u);
  EXPECT_EQ(process.links[0].context.span_id(), send.context.span_id());
}

TEST_F(KafkaTracingTest, ARecordWithoutContextFollowsEachPolicy) {
  // No producer context and so no link: the per-record fast path, which must
  // still tell the policies apart (parent and link: the ambient span's child;
  // new trace: a root).
  ProduceRaw("questions", {});
  for (auto policy :
       {ProducerContextPolicy::kParent, ProducerContextPolicy::kLink,
        ProducerContextPolicy::kNewTraceWithLink}) {
    // A group of its own, so each consumer reads the record from the start.
    auto consumer = Consumer(
        "questions", {.policy = policy},
        cluster_.ConsumerConf("g" + std::to_string(static_cast<int>(policy))));
    auto record = PollOne(*consumer);
    ASSERT_TRUE(record);
    EXPECT_FALSE(record->producer_context().span_context.IsValid());
    Span ambient = tracing_.tracer().StartSpan("worker loop");
    SpanContext process_context;
    {
      ContextScope scope(ambient);
      ProcessSpanScope process(*consumer, *record);
      process_context = process.span().context();
    }
    ambient.End();
    const bool root = policy == ProducerContextPolicy::kNewTraceWithLink;
    EXPECT_EQ(process_context.trace_id() == ambient.context().trace_id(),
              !root);
    for (const auto& span : Named(tracing_.spans(), "process questions")) {
      if (span.context.span_id() != process_context.span_id()) continue;
      EXPECT_EQ(span.parent_span_id.IsValid(), !root);
      if (!root) {
        EXPECT_EQ(span.parent_span_id, ambient.context().span_id());
      }
      EXPECT_TRUE(span.links.empty());
    }
  }
}

// Sampling follows the parent the policy gives the process span, not the
// producer's flags: an unsampled producer context drops the child (parent
// policy) but not a span of the ambient trace or a new trace that only links
// to it (parentbased_always_on here).
TEST_F(KafkaTracingTest, SamplingFollowsTheParentThePolicyChooses) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  ProduceRaw("questions",
             {{"traceparent", "00-" + trace + "-00f067aa0ba902b7-00"}});
  for (auto policy :
       {ProducerContextPolicy::kParent, ProducerContextPolicy::kLink,
        ProducerContextPolicy::kNewTraceWithLink}) {
    auto consumer = Consumer(
        "questions", {.policy = policy},
        cluster_.ConsumerConf("s" + std::to_string(static_cast<int>(policy))));
    auto record = PollOne(*consumer);
    ASSERT_TRUE(record);
    ASSERT_FALSE(record->producer_context().span_context.sampled());
    SpanContext context;
    bool recording = false;
    {
      ProcessSpanScope process(*consumer, *record);
      context = process.span().context();
      recording = process.span().IsRecording();
    }
    const bool parent = policy == ProducerContextPolicy::kParent;
    EXPECT_EQ(recording, !parent) << static_cast<int>(policy);
    EXPECT_EQ(context.sampled(), !parent);
    EXPECT_EQ(context.trace_id().ToHex() == trace, parent);
  }
  const auto process = Named(tracing_.spans(), "process questions");
  ASSERT_EQ(process.size(), 2u);  // link and new trace
  for (const auto& span : process) {
    ASSERT_EQ(span.links.size(), 1u);
    EXPECT_EQ(span.links[0].context.trace_id().ToHex(), trace);
  }
}

TEST_F(KafkaTracingTest, ParentPolicyWithAmbientSpanLinksTheAmbient) {
  auto producer = Producer();
  ASSERT_EQ(producer->Produce({.topic = "questions", .value = "q"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto consumer = Consumer("questions");
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  Span ambient = tracing_.tracer().StartSpan("worker loop");
  {
    ContextScope scope(ambient);
    ProcessSpanScope process(*consumer, *record);
  }
  auto send = Named(tracing_.spans(), "send questions")[0];
  auto process = Named(tracing_.spans(), "process questions")[0];
  EXPECT_EQ(process.parent_span_id, send.context.span_id());
  ASSERT_EQ(process.links.size(), 1u);
  EXPECT_EQ(process.links[0].context.span_id(), ambient.context().span_id());
}

TEST_F(KafkaTracingTest,
       BatchPollHasOneSpanWithALinkPerRecordAndNoSpanWhenEmpty) {
  auto producer = Producer();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(producer->Produce(
                  {.topic = "answers", .value = "a" + std::to_string(i)}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto consumer = Consumer("answers");
  std::vector<ConsumedRecord> all;
  for (int i = 0; i < 50 && all.size() < 5; ++i) {
    for (auto& r : consumer->PollBatch(10, 200)) all.push_back(std::move(r));
  }
  ASSERT_EQ(all.size(), 5u);
  const std::string cluster = ClusterIdOfTheMock();
  auto polls = Named(tracing_.spans(), "poll answers");
  ASSERT_GE(polls.size(), 1u);
  size_t links = 0;
  int64_t counted = 0;
  for (const auto& poll : polls) {
    EXPECT_EQ(poll.kind, SpanKind::kClient);
    EXPECT_EQ(Str(poll, "messaging.operation.type"), "receive");
    EXPECT_EQ(Str(poll, "messaging.kafka.cluster.id"), cluster);
    counted += Int(poll, "messaging.batch.message_count");
    links += poll.links.size();
    for (const auto& link : poll.links) {
      EXPECT_NE(FindAttribute(link.attributes, "messaging.kafka.offset"),
                nullptr);
      EXPECT_NE(
          FindAttribute(link.attributes, "messaging.destination.partition.id"),
          nullptr);
    }
  }
  EXPECT_EQ(links, 5u);
  EXPECT_EQ(counted, 5);
  const size_t before = tracing_.spans().size();
  EXPECT_TRUE(consumer->PollBatch(10, 200).empty());
  EXPECT_EQ(tracing_.spans().size(), before);  // an empty poll records nothing
}

// server.address/server.port name the broker that handled each record: the
// partition leader for send, process and poll spans, the group coordinator for
// commit spans. Three brokers, each leading one partition, tell them apart.
TEST_F(KafkaTracingTest, SpansNameTheBrokerThatHandledEachRecord) {
  MockCluster three(3);
  three.CreateTopic("spread", 3);
  for (int partition = 0; partition < 3; ++partition) {
    ASSERT_EQ(rd_kafka_mock_partition_set_leader(three.get(), "spread",
                                                 partition, partition + 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_mock_coordinator_set(three.get(), "group", "g3", 2),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  // The mock lists its brokers in id order: "host:port,host:port,...".
  std::vector<std::pair<std::string, int64_t>> brokers;
  std::stringstream list(three.bootstrap_servers());
  for (std::string entry; std::getline(list, entry, ',');) {
    const size_t colon = entry.rfind(':');
    brokers.emplace_back(entry.substr(0, colon),
                         std::stoll(entry.substr(colon + 1)));
  }
  ASSERT_EQ(brokers.size(), 3u);
  auto expect_broker = [&](const auto& attributes, int broker_id,
                           const std::string& what) {
    const AttributeValue* host = FindAttribute(attributes, "server.address");
    const AttributeValue* port = FindAttribute(attributes, "server.port");
    ASSERT_NE(host, nullptr) << what;
    ASSERT_NE(port, nullptr) << what;
    EXPECT_EQ(std::get<std::string>(*host), brokers[broker_id - 1].first)
        << what;
    EXPECT_EQ(std::get<int64_t>(*port), brokers[broker_id - 1].second) << what;
  };

  auto producer = Producer(three.ProducerConf());
  for (int partition = 0; partition < 3; ++partition) {
    ASSERT_EQ(producer->Produce({.topic = "spread",
                                 .partition = partition,
                                 .value = "v" + std::to_string(partition)}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto sends = Named(tracing_.spans(), "send spread");
  ASSERT_EQ(sends.size(), 3u);
  for (const auto& send : sends) {
    const int partition =
        std::stoi(Str(send, "messaging.destination.partition.id"));
    expect_broker(send.attributes, partition + 1,
                  "send to partition " + std::to_string(partition));
    EXPECT_TRUE(KeysAreUnique(send));
  }

  auto consumer = Consumer("spread", {}, three.ConsumerConf("g3"));
  std::vector<ConsumedRecord> records;
  for (int i = 0; i < 50 && records.size() < 3; ++i) {
    for (auto& r : consumer->PollBatch(10, 200))
      records.push_back(std::move(r));
  }
  ASSERT_EQ(records.size(), 3u);
  for (const auto& record : records) {
    ProcessSpanScope process(*consumer, record);
  }
  for (const auto& process : Named(tracing_.spans(), "process spread")) {
    expect_broker(
        process.attributes,
        std::stoi(Str(process, "messaging.destination.partition.id")) + 1,
        "process");
  }
  // A poll's broker goes on the span when all its records came from one,
  // else on each record's link.
  for (const auto& poll : Named(tracing_.spans(), "poll spread")) {
    const bool on_span =
        FindAttribute(poll.attributes, "server.address") != nullptr;
    for (const auto& link : poll.links) {
      const auto* partition =
          FindAttribute(link.attributes, "messaging.destination.partition.id");
      ASSERT_NE(partition, nullptr);
      const int broker = std::stoi(std::get<std::string>(*partition)) + 1;
      if (on_span) {
        expect_broker(poll.attributes, broker, "poll");
        EXPECT_EQ(FindAttribute(link.attributes, "server.address"), nullptr);
      } else {
        expect_broker(link.attributes, broker, "link");
      }
    }
  }

  EXPECT_EQ(consumer->CommitSync(), RdKafka::ERR_NO_ERROR);
  auto commits = Named(tracing_.spans(), "commit spread");
  ASSERT_EQ(commits.size(), 1u);
  expect_broker(commits[0].attributes, 2, "commit (coordinator)");
}

TEST_F(KafkaTracingTest, CommitSpansForManualAndAutomaticCommits) {
  auto producer = Producer();
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "x"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "y"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  {
    auto consumer = Consumer("answers");
    auto record = PollOne(*consumer);
    ASSERT_TRUE(record);
    EXPECT_EQ(consumer->CommitSync(*record), RdKafka::ERR_NO_ERROR);
    auto commits = Named(tracing_.spans(), "commit answers");
    ASSERT_EQ(commits.size(), 1u);
    EXPECT_EQ(commits[0].kind, SpanKind::kClient);
    EXPECT_EQ(Str(commits[0], "messaging.operation.type"), "settle");
    EXPECT_EQ(Str(commits[0], "messaging.consumer.group.name"), "g1");
    EXPECT_EQ(Int(commits[0], "messaging.kafka.offset"), record->offset() + 1);
    EXPECT_EQ(Str(commits[0], "messaging.kafka.cluster.id"),
              ClusterIdOfTheMock());
    EXPECT_EQ(commits[0].status_code, SpanStatusCode::kUnset);
    ASSERT_TRUE(PollOne(*consumer));
    EXPECT_EQ(consumer->CommitSync(), RdKafka::ERR_NO_ERROR);
    EXPECT_EQ(Named(tracing_.spans(), "commit answers").size(), 2u);
  }
  {
    // A failed commit: error status, error.type and the settle exception.
    auto consumer =
        Consumer("answers", {}, cluster_.ConsumerConf("g-failing-commit"));
    auto record = PollOne(*consumer);
    ASSERT_TRUE(record);
    rd_kafka_mock_push_request_errors(
        cluster_.get(), testing::kOffsetCommitApiKey, 1,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    EXPECT_NE(consumer->CommitSync(*record), RdKafka::ERR_NO_ERROR);
    auto commits = Named(tracing_.spans(), "commit answers");
    ASSERT_EQ(commits.size(), 3u);
    EXPECT_EQ(commits.back().status_code, SpanStatusCode::kError);
    EXPECT_EQ(Str(commits.back(), "error.type"), "TOPIC_AUTHORIZATION_FAILED");
    ExpectExceptionEvent(commits.back(), "settle",
                         "TOPIC_AUTHORIZATION_FAILED");
  }
  // Automatic commits, served while polling.
  auto conf = cluster_.ConsumerConf("g-auto");
  MockCluster::Set(*conf, "enable.auto.commit", "true");
  MockCluster::Set(*conf, "auto.commit.interval.ms", "100");
  auto consumer = Consumer("answers", {}, std::move(conf));
  ASSERT_TRUE(PollOne(*consumer));
  for (int i = 0;
       i < 50 && Named(tracing_.spans(), "commit answers").size() < 4; ++i) {
    (void)consumer->Poll(100);
  }
  auto commits = Named(tracing_.spans(), "commit answers");
  ASSERT_GE(commits.size(), 4u);
  EXPECT_EQ(Str(commits.back(), "messaging.consumer.group.name"), "g-auto");
}

TEST_F(KafkaTracingTest,
       DeliveryFailureFromInjectedErrorEndsSpanWithErrorType) {
  auto conf = cluster_.ProducerConf();
  MockCluster::Set(*conf, "retries", "0");
  auto producer = Producer(std::move(conf));
  rd_kafka_mock_push_request_errors(
      cluster_.get(), testing::kProduceApiKey, 1,
      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "x"}),
            RdKafka::ERR_NO_ERROR);
  (void)producer->Flush(5000);
  auto send = Named(tracing_.spans(), "send answers");
  ASSERT_EQ(send.size(), 1u);
  EXPECT_EQ(send[0].status_code, SpanStatusCode::kError);
  EXPECT_EQ(Str(send[0], "error.type"), "TOPIC_AUTHORIZATION_FAILED");
  ExpectExceptionEvent(send[0], "send", "TOPIC_AUTHORIZATION_FAILED");
}

TEST_F(KafkaTracingTest, BrokerDownTimesOutDeliveryWithError) {
  auto conf = cluster_.ProducerConf();
  MockCluster::Set(*conf, "message.timeout.ms", "300");
  auto producer = Producer(std::move(conf));
  rd_kafka_mock_broker_set_down(cluster_.get(), 1);
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "x"}),
            RdKafka::ERR_NO_ERROR);
  (void)producer->Flush(5000);
  auto send = Named(tracing_.spans(), "send answers");
  ASSERT_EQ(send.size(), 1u);
  EXPECT_EQ(send[0].status_code, SpanStatusCode::kError);
  EXPECT_EQ(Str(send[0], "error.type"), "_MSG_TIMED_OUT");
  ExpectExceptionEvent(send[0], "send", "_MSG_TIMED_OUT");
}

TEST_F(KafkaTracingTest, RecordsReachEveryTopicBeyondTheKeptHandles) {
  // The producer names a topic by a handle it keeps, for the first
  // TopicHandles::kMaxTopics topics, and by name after that: both ways must
  // deliver to the right topic and name the span after it.
  auto producer = Producer();
  constexpr size_t kTopics = detail::TopicHandles::kMaxTopics + 6;
  for (size_t i = 0; i < kTopics; ++i) {
    ASSERT_EQ(producer->Produce({.topic = "many-" + std::to_string(i),
                                 .value = std::to_string(i)}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(10000), RdKafka::ERR_NO_ERROR);
  std::set<std::string> expected, acknowledged;
  for (size_t i = 0; i < kTopics; ++i)
    expected.insert("many-" + std::to_string(i));
  for (const SpanData& span : tracing_.spans()) {
    if (span.kind != SpanKind::kProducer) continue;
    EXPECT_EQ(span.status_code, SpanStatusCode::kUnset) << span.name;
    EXPECT_GE(Int(span, "messaging.kafka.offset"), 0) << span.name;
    const std::string topic = Str(span, "messaging.destination.name");
    EXPECT_EQ(span.name, "send " + topic);
    EXPECT_TRUE(acknowledged.insert(topic).second) << topic << " twice";
  }
  EXPECT_EQ(acknowledged, expected);
}

TEST_F(KafkaTracingTest, ImmediateProduceFailureIsReturnedAndEndsTheSpan) {
  auto conf = cluster_.ProducerConf();
  MockCluster::Set(*conf, "message.max.bytes", "1000");
  auto producer = Producer(std::move(conf));
  std::string big(5000, 'x');
  EXPECT_EQ(producer->Produce({.topic = "answers", .value = big}),
            RdKafka::ERR_MSG_SIZE_TOO_LARGE);
  auto send = Named(tracing_.spans(), "send answers");
  ASSERT_EQ(send.size(), 1u);
  EXPECT_EQ(send[0].status_code, SpanStatusCode::kError);
  EXPECT_EQ(Str(send[0], "error.type"), "MSG_SIZE_TOO_LARGE");
  ExpectExceptionEvent(send[0], "send", "MSG_SIZE_TOO_LARGE");
  // Attributes of a record librdkafka never took come from the call itself.
  EXPECT_EQ(Str(send[0], "messaging.system"), "kafka");
  EXPECT_EQ(Str(send[0], "messaging.operation.name"), "send");
  EXPECT_EQ(Str(send[0], "messaging.destination.name"), "answers");
  EXPECT_EQ(Int(send[0], "messaging.message.body.size"), 5000);
  EXPECT_EQ(Str(send[0], "messaging.client.id"), "kafkatrace-test");
  EXPECT_TRUE(KeysAreUnique(send[0]));
}

TEST_F(KafkaTracingTest,
       ReproducingAConsumedRecordLeavesExactlyOneTraceParent) {
  ProduceRaw("questions", {{"traceparent", kRemoteTraceParent},
                           {"TraceParent", kRemoteTraceParent},
                           {"tracestate", "old=1"},
                           {"x-app", "keep"}});
  auto consumer = Consumer("questions");
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  // Forward the record with all its headers, as a relay would.
  std::vector<std::pair<std::string, std::string>> copied;
  for (const auto& h : record->message().headers()->get_all()) {
    copied.emplace_back(
        h.key(),
        std::string(static_cast<const char*>(h.value()), h.value_size()));
  }
  std::vector<std::pair<std::string_view, std::string_view>> views(
      copied.begin(), copied.end());
  auto producer = Producer();
  ASSERT_EQ(producer->Produce(
                {.topic = "answers", .value = "relayed", .headers = views}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);

  auto answers = Consumer("answers", {}, cluster_.ConsumerConf("g2"));
  auto relayed = PollOne(*answers);
  ASSERT_TRUE(relayed);
  int traceparents = 0, tracestates = 0;
  std::string value, app;
  for (const auto& h : relayed->message().headers()->get_all()) {
    std::string key = h.key();
    for (auto& c : key) c = static_cast<char>(std::tolower(c));
    if (key == "traceparent") {
      ++traceparents;
      value.assign(static_cast<const char*>(h.value()), h.value_size());
    }
    if (key == "tracestate") ++tracestates;
    if (key == "x-app")
      app.assign(static_cast<const char*>(h.value()), h.value_size());
  }
  EXPECT_EQ(traceparents, 1);
  EXPECT_EQ(tracestates, 0);  // the new context has none; the stale one is gone
  EXPECT_EQ(app, "keep");
  auto send = Named(tracing_.spans(), "send answers")[0];
  EXPECT_EQ(value, "00-" + send.context.trace_id().ToHex() + "-" +
                       send.context.span_id().ToHex() + "-03");
}

TEST_F(KafkaTracingTest,
       MalformedDuplicatedOrMissingTraceParentStartsANewTrace) {
  ProduceRaw("questions", {{"traceparent", kRemoteTraceParent},
                           {"traceparent", kRemoteTraceParent}});
  ProduceRaw("questions",
             {{"traceparent",
               "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"}});
  ProduceRaw("questions", {});
  ProduceRaw("questions",
             {{"traceparent", kRemoteTraceParent}});  // the control: continued
  auto consumer = Consumer("questions");
  std::vector<ConsumedRecord> records;
  for (int i = 0; i < 100 && records.size() < 4; ++i) {
    if (auto r = consumer->Poll(100)) records.push_back(std::move(*r));
  }
  ASSERT_EQ(records.size(), 4u);
  for (auto& r : records) {
    ProcessSpanScope process(*consumer, r);
  }
  auto process = Named(tracing_.spans(), "process questions");
  ASSERT_EQ(process.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(process[i].parent_span_id.IsValid()) << i;
    EXPECT_NE(process[i].context.trace_id().ToHex(),
              "4bf92f3577b34da6a3ce929d0e0e4736");
  }
  EXPECT_EQ(process[3].context.trace_id().ToHex(),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(process[3].parent_span_id.ToHex(), "00f067aa0ba902b7");
}

class CountingDeliveryCallback : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    opaques.push_back(message.msg_opaque());
    errors.push_back(message.err());
  }
  std::vector<void*> opaques;
  std::vector<RdKafka::ErrorCode> errors;
};

TEST_F(KafkaTracingTest, ApplicationDeliveryCallbackStillRunsWithItsOpaque) {
  CountingDeliveryCallback callback;
  auto producer = Producer(ProducerConfWith(callback));
  int marker = 0;
  ASSERT_EQ(
      producer->Produce({.topic = "answers", .value = "x", .opaque = &marker}),
      RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(callback.opaques.size(), 1u);
  EXPECT_EQ(callback.opaques[0], &marker);
  EXPECT_EQ(callback.errors[0], RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(Named(tracing_.spans(), "send answers").size(), 1u);
}

TEST_F(KafkaTracingTest, SendSpansEndAsTheyStartedUnderEitherProcessor) {
  // A send span waits for its acknowledgement in librdkafka's opaque (its bare
  // SpanData, or with the application's opaque), and under batch processors
  // ends with its attributes deferred to the worker. Either way it must be
  // exported as it started: name, kind, ids, parent, tracestate, start and
  // end times, scope; the application gets its opaque back; and the context
  // on the wire is each record's own span.
  using Processor = TestTracing::Processor;
  TestTracing batch(nullptr, {}, Processor::kBatch);
  const SpanContext parent(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(), kTraceFlagSampled,
      /*remote=*/true, TraceState::Parse("vendor=1").value());
  constexpr int64_t kStart = 1'800'000'000'000'000'000;
  constexpr int64_t kEnd = kStart + 7'000'000;
  int run = 0;
  for (TestTracing* tracing : {&tracing_, &batch}) {
    SCOPED_TRACE(run == 0 ? "simple processor" : "batch processor");
    const std::string topic = "parked-" + std::to_string(run++);
    CountingDeliveryCallback callback;
    auto conf = ProducerConfWith(callback);
    MockCluster::Set(*conf, "message.max.bytes", "1000");
    auto producer =
        TracingProducer::Create(std::move(conf), tracing->tracer()).value();
    int marker = 0;
    tracing->clock.Set(kStart);
    ASSERT_EQ(producer->Produce({.topic = topic,
                                 .partition = 0,
                                 .key = "plain",
                                 .value = "a",
                                 .parent = parent}),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(producer->Produce({.topic = topic,
                                 .partition = 0,
                                 .key = "opaque",
                                 .value = "b",
                                 .parent = parent,
                                 .opaque = &marker}),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(producer->Produce({.topic = topic,
                                 .partition = 0,
                                 .key = "refused",
                                 .value = std::string(5000, 'x'),
                                 .parent = parent}),
              RdKafka::ERR_MSG_SIZE_TOO_LARGE);
    tracing->clock.Set(kEnd);
    ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
    EXPECT_EQ(callback.opaques, (std::vector<void*>{nullptr, &marker}));

    std::map<std::string, SpanData> sends;
    for (const SpanData& span : Named(tracing->spans(), "send " + topic))
      sends.emplace(Str(span, "messaging.kafka.message.key"), span);
    ASSERT_EQ(sends.size(), 3u);
    std::set<std::string> span_ids;
    for (const auto& [key, span] : sends) {
      SCOPED_TRACE(key);
      EXPECT_EQ(span.kind, SpanKind::kProducer);
      EXPECT_EQ(span.context.trace_id(), parent.trace_id());
      EXPECT_TRUE(span.context.sampled());
      EXPECT_FALSE(span.context.remote());
      EXPECT_EQ(span.context.trace_state().header(), "vendor=1");
      EXPECT_EQ(span.parent_span_id, parent.span_id());
      EXPECT_TRUE(span.parent_is_remote);
      EXPECT_EQ(span.start_unix_nanos, kStart);
      EXPECT_EQ(span.end_unix_nanos, key == "refused" ? kStart : kEnd);
      EXPECT_EQ(span.status_code, key == "refused" ? SpanStatusCode::kError
                                                   : SpanStatusCode::kUnset);
      ASSERT_NE(span.scope, nullptr);
      EXPECT_EQ(span.scope->name, "test");
      EXPECT_NE(span.resource, nullptr);
      span_ids.insert(span.context.span_id().ToHex());
    }
    EXPECT_EQ(span_ids.size(), 3u);

    // What the consumer reads is each delivered record's own send span.
    auto consumer =
        TracingConsumer::Create(cluster_.ConsumerConf(topic), tracing->tracer())
            .value();
    ASSERT_EQ(AssignFromStart(*consumer, topic, {0}), RdKafka::ERR_NO_ERROR);
    for (int seen = 0; seen < 2; ++seen) {
      auto record = PollOne(*consumer);
      ASSERT_TRUE(record);
      const std::string key(record->key().value_or(""));
      ASSERT_EQ(sends.count(key), 1u) << key;
      EXPECT_EQ(record->producer_context().span_context.span_id(),
                sends.at(key).context.span_id());
      EXPECT_EQ(record->producer_context().span_context.trace_state().header(),
                "vendor=1");
    }
  }
}

TEST_F(KafkaTracingTest, SampledRecordsWithAndWithoutAnOpaqueEndTheirSpans) {
  // A sampled record without an application opaque travels with its span's
  // data as librdkafka's opaque; one with an opaque, with a tagged state. Both
  // must end their own span, and the application must see only its opaque.
  CountingDeliveryCallback callback;
  auto producer = Producer(ProducerConfWith(callback));
  int marker = 0;
  ASSERT_EQ(producer->Produce({.topic = "answers", .key = "none"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(
      producer->Produce(
          {.topic = "answers", .key = "mine", .value = "b", .opaque = &marker}),
      RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(callback.opaques.size(), 2u);
  EXPECT_EQ(callback.opaques[0], nullptr);
  EXPECT_EQ(callback.opaques[1], &marker);
  const auto sends = Named(tracing_.spans(), "send answers");
  ASSERT_EQ(sends.size(), 2u);
  std::set<std::string> keys;
  for (const auto& span : sends) {
    keys.insert(Str(span, "messaging.kafka.message.key"));
    EXPECT_GE(Int(span, "messaging.kafka.offset"), 0);
    EXPECT_EQ(span.status_code, SpanStatusCode::kUnset);
  }
  EXPECT_EQ(keys, (std::set<std::string>{"none", "mine"}));
}

TEST_F(KafkaTracingTest, UnsampledRecordsKeepTheApplicationsOpaqueAndHeaders) {
  // Not sampled: no per-record state travels with the record, so the
  // application's own opaque (or none) must come back unchanged.
  TestTracing unsampled(std::make_unique<AlwaysOffSampler>());
  CountingDeliveryCallback callback;
  auto producer =
      TracingProducer::Create(ProducerConfWith(callback), unsampled.tracer())
          .value();
  int marker = 0;
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "a"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(
      producer->Produce({.topic = "answers", .value = "b", .opaque = &marker}),
      RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(callback.opaques.size(), 2u);
  EXPECT_EQ(callback.opaques[0], nullptr);
  EXPECT_EQ(callback.opaques[1], &marker);
  EXPECT_TRUE(unsampled.spans().empty());

  // The context still propagates, with the sampled flag clear.
  auto consumer = Consumer("answers");
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  EXPECT_TRUE(record->producer_context().span_context.IsValid());
  EXPECT_FALSE(record->producer_context().span_context.sampled());
}

// A sampler that decides on the destination attribute, as a custom
// OpenTelemetry sampler may.
class TopicSampler final : public Sampler {
 public:
  SamplingResult ShouldSample(
      const SamplingParameters& params) noexcept override {
    for (const auto& attribute : params.attributes) {
      if (attribute.key == "messaging.destination.name" &&
          attribute.value == AttributeValue(std::string("questions"))) {
        return {SamplingDecision::kRecordAndSample, {}};
      }
    }
    return {SamplingDecision::kDrop, {}};
  }
  std::string Description() const override { return "TopicSampler"; }
};

TEST_F(KafkaTracingTest, ACustomSamplerSeesTheStartAttributes) {
  TestTracing by_topic(std::make_unique<TopicSampler>());
  auto producer =
      TracingProducer::Create(cluster_.ProducerConf(), by_topic.tracer())
          .value();
  ASSERT_EQ(producer->Produce({.topic = "questions", .value = "q"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Produce({.topic = "answers", .value = "a"}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto spans = by_topic.spans();
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "send questions");
  EXPECT_EQ(*FindAttribute(spans[0].attributes, "messaging.system"),
            AttributeValue(std::string("kafka")));
  // Set at start for the sampler, and not again at the acknowledgement.
  EXPECT_TRUE(KeysAreUnique(spans[0]));
  EXPECT_EQ(Int(spans[0], "messaging.message.body.size"), 1);
  EXPECT_GE(Int(spans[0], "messaging.kafka.offset"), 0);
  // Chosen by the partitioner after start, so set at the acknowledgement.
  const std::string partition =
      Str(spans[0], "messaging.destination.partition.id");
  EXPECT_TRUE(partition == "0" || partition == "1") << partition;
}

TEST_F(KafkaTracingTest, AnExplicitParentWinsOverTheCurrentSpan) {
  // Both ways a send span starts: with options shared by every record (the
  // sampler reads no start attributes) and with per-record options.
  const SpanContext explicit_parent(
      *TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736"),
      *SpanId::FromHex("00f067aa0ba902b7"), kTraceFlagSampled,
      /*remote=*/true);
  TestTracing by_topic(std::make_unique<TopicSampler>());
  for (TestTracing* tracing : {&tracing_, &by_topic}) {
    auto producer =
        TracingProducer::Create(cluster_.ProducerConf(), tracing->tracer())
            .value();
    Span ambient = tracing->tracer().StartSpan("ambient");
    {
      ContextScope scope(ambient);
      ASSERT_EQ(producer->Produce({.topic = "questions",
                                   .value = "explicit",
                                   .parent = explicit_parent}),
                RdKafka::ERR_NO_ERROR);
      ASSERT_EQ(producer->Produce({.topic = "questions", .value = "ambient"}),
                RdKafka::ERR_NO_ERROR);
    }
    ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
    const SpanContext ambient_context = ambient.context();
    ambient.End();
    const auto sends = Named(tracing->spans(), "send questions");
    ASSERT_EQ(sends.size(), 2u);
    for (const auto& send : sends) {
      const bool is_explicit = Int(send, "messaging.message.body.size") == 8;
      const SpanContext& parent =
          is_explicit ? explicit_parent : ambient_context;
      EXPECT_EQ(send.context.trace_id(), parent.trace_id()) << is_explicit;
      EXPECT_EQ(send.parent_span_id, parent.span_id()) << is_explicit;
      EXPECT_EQ(send.parent_is_remote, is_explicit);
    }
  }
}

// Each send span's attributes as text, by body size: what varies from run to
// run (offset, timings) only checked for presence.
std::map<std::string, std::map<std::string, std::string>> SendAttributesByBody(
    const std::vector<SpanData>& spans) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& span : spans) {
    if (span.name != "send questions") continue;
    EXPECT_TRUE(KeysAreUnique(span));
    std::map<std::string, std::string> attributes;
    for (const auto& [key, value] : span.attributes) {
      const std::string name = key.str();
      const bool varies = name == "messaging.kafka.offset" ||
                          name == "kafkatrace.send.broker_rtt_ms" ||
                          name == "kafkatrace.send.local_queue_ms";
      attributes[name] = varies ? "(present)" : AttributeValueToString(value);
    }
    const std::string size = attributes["messaging.message.body.size"];
    EXPECT_EQ(out.count(size), 0u) << "two spans with body size " << size;
    out[size] = std::move(attributes);
  }
  return out;
}

TEST_F(KafkaTracingTest, SendSpansEndTheSameWhenTheBatchWorkerWritesThem) {
  // Under a BatchSpanProcessor a send span's attributes are written on its
  // worker from facts kept at the acknowledgement; under any other processor
  // at the acknowledgement. Both must give the same span, and so must a
  // sampler that reads the start attributes (set at start, not again later),
  // and an OTLP exporter that encodes them straight from the facts.
  using Processor = TestTracing::Processor;
  TestTracing batch(nullptr, {}, Processor::kBatch);
  TestTracing batch_by_topic(std::make_unique<TopicSampler>(), {},
                             Processor::kBatch);
  OtlpEncodingCheck check;
  TestTracing batch_to_otlp(nullptr, {}, Processor::kBatch,
                            OtlpEncodingChecked(check));
  const std::string max_deferred_key(36, 'k');  // kept in the span's facts
  const std::string long_key(37, 'l');          // too long: written at once
  std::vector<std::map<std::string, std::map<std::string, std::string>>> runs;
  for (TestTracing* tracing :
       {&tracing_, &batch, &batch_by_topic, &batch_to_otlp}) {
    auto producer =
        TracingProducer::Create(cluster_.ProducerConf(), tracing->tracer())
            .value();
    // So that every span carries the cluster id.
    rd_kafka_mem_free(nullptr,
                      rd_kafka_clusterid(producer->producer().c_ptr(), 5000));
    ASSERT_EQ(producer->Produce({.topic = "questions",
                                 .partition = 0,
                                 .key = "user-7",
                                 .value = "1"}),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(
        producer->Produce(
            {.topic = "questions", .key = max_deferred_key, .value = "22"}),
        RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(producer->Produce(
                  {.topic = "questions", .key = long_key, .value = "333"}),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(producer->Produce({.topic = "questions", .partition = 1}),
              RdKafka::ERR_NO_ERROR);  // a tombstone, without a key
    ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
    runs.push_back(SendAttributesByBody(tracing->spans()));
  }
  ASSERT_EQ(runs[0].size(), 4u);
  const auto& first = runs[0].at("1");
  EXPECT_EQ(first.at("messaging.kafka.message.key"), "\"user-7\"");
  EXPECT_EQ(first.at("messaging.destination.partition.id"), "\"0\"");
  EXPECT_EQ(first.at("messaging.kafka.offset"), "(present)");
  EXPECT_EQ(first.at("kafkatrace.send.broker_rtt_ms"), "(present)");
  EXPECT_EQ(first.count("server.address"), 1u);
  EXPECT_EQ(first.count("server.port"), 1u);
  EXPECT_EQ(first.count("messaging.kafka.cluster.id"), 1u);
  EXPECT_EQ(runs[0].at("2").at("messaging.kafka.message.key"),
            "\"" + max_deferred_key + "\"");
  EXPECT_EQ(runs[0].at("0").at("messaging.kafka.message.tombstone"), "true");
  EXPECT_EQ(runs[1], runs[0]);
  EXPECT_EQ(runs[2], runs[0]);
  EXPECT_EQ(runs[3], runs[0]);
  EXPECT_EQ(check.spans, 4);
  EXPECT_EQ(check.spans_as_facts, 3);  // not the one with the long key
  EXPECT_EQ(check.mismatched_batches, 0);
}

TEST_F(KafkaTracingTest,
       FailedSendSpansEndTheSameWhenTheBatchWorkerWritesThem) {
  // A failed record's status and exception event wait in its facts too, so
  // that a burst of failures allocates nothing on the application's thread;
  // the worker must end the span as the delivery report (or, for a record
  // refused at once, Produce) would have. An exporter that encodes facts gets
  // such a span already written: its event is not an attribute.
  using Processor = TestTracing::Processor;
  TestTracing batch(nullptr, {}, Processor::kBatch);
  OtlpEncodingCheck check;
  TestTracing batch_to_otlp(nullptr, {}, Processor::kBatch,
                            OtlpEncodingChecked(check));
  std::vector<std::string> ends;
  for (TestTracing* tracing : {&tracing_, &batch, &batch_to_otlp}) {
    auto conf = cluster_.ProducerConf();
    MockCluster::Set(*conf, "retries", "0");
    MockCluster::Set(*conf, "message.max.bytes", "1000");
    auto producer =
        TracingProducer::Create(std::move(conf), tracing->tracer()).value();
    rd_kafka_mem_free(nullptr,
                      rd_kafka_clusterid(producer->producer().c_ptr(), 5000));
    rd_kafka_mock_push_request_errors(
        cluster_.get(), testing::kProduceApiKey, 1,
        RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
    ASSERT_EQ(producer->Produce({.topic = "questions",
                                 .partition = 0,
                                 .key = "user-7",
                                 .value = "1"}),
              RdKafka::ERR_NO_ERROR);
    (void)producer->Flush(5000);
    ASSERT_EQ(producer->Produce({.topic = "questions",
                                 .partition = 1,
                                 .key = "user-8",
                                 .value = std::string(5000, 'x')}),
              RdKafka::ERR_MSG_SIZE_TOO_LARGE);
    const auto spans = Named(tracing->spans(), "send questions");
    ASSERT_EQ(spans.size(), 2u);
    const auto by_body = SendAttributesByBody(spans);
    std::string end;
    for (const SpanData& span : spans) {
      EXPECT_EQ(span.status_code, SpanStatusCode::kError);
      ExpectExceptionEvent(span, "send", Str(span, "error.type"));
      ASSERT_EQ(span.events.size(), 1u);
      EXPECT_GE(span.events[0].time_unix_nanos, span.start_unix_nanos);
      EXPECT_LE(span.events[0].time_unix_nanos, span.end_unix_nanos);
      end += "status " + span.status_message;
      const int64_t body = Int(span, "messaging.message.body.size");
      for (const auto& [key, value] : by_body.at(std::to_string(body)))
        end += "\n" + key + "=" + value;
      for (const SpanEvent& event : span.events) {
        end += "\nevent " + event.name;
        for (const auto& [key, value] : event.attributes)
          end += " " + key.str() + "=" + AttributeValueToString(value);
      }
      end += "\n";
    }
    ends.push_back(end);
  }
  EXPECT_NE(ends[0].find("error.type=\"TOPIC_AUTHORIZATION_FAILED\""),
            std::string::npos);
  EXPECT_NE(ends[0].find("error.type=\"MSG_SIZE_TOO_LARGE\""),
            std::string::npos);
  EXPECT_EQ(ends[1], ends[0]);
  EXPECT_EQ(ends[2], ends[0]);
  EXPECT_EQ(check.spans, 2);
  EXPECT_EQ(check.spans_as_facts, 0);
  EXPECT_EQ(check.mismatched_batches, 0);
}

// Each process span as its attributes in order (what varies from run to run,
// the record's timestamp and time in Kafka, only checked for presence), its
// status and its event count, by body size.
std::map<std::string, std::vector<std::string>> ProcessSpansByBody(
    const std::vector<SpanData>& spans) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& span : spans) {
    if (span.name != "process questions") continue;
    EXPECT_TRUE(KeysAreUnique(span));
    std::vector<std::string> described;
    std::string size;
    for (const auto& [key, value] : span.attributes) {
      const std::string name = key.str();
      const bool varies = name == "kafkatrace.record.queue_wait_ms" ||
                          name == "kafkatrace.record.timestamp_ms";
      described.push_back(
          name + "=" + (varies ? "(present)" : AttributeValueToString(value)));
      if (name == "messaging.message.body.size")
        size = AttributeValueToString(value);
    }
    described.push_back("status=" +
                        std::to_string(static_cast<int>(span.status_code)));
    described.push_back("events=" + std::to_string(span.events.size()));
    EXPECT_EQ(out.count(size), 0u) << "two spans with body size " << size;
    out[size] = std::move(described);
  }
  return out;
}

TEST_F(KafkaTracingTest, ProcessSpansEndTheSameWhenTheBatchWorkerWritesThem) {
  // Under a BatchSpanProcessor a process span's attributes are written on its
  // worker, after it ends, from facts kept at its start; under any other
  // processor at its start. Both must give the same span, attributes in the
  // same order, with what the application set while processing (including
  // a value it replaced) kept; so must a sampler that reads start attributes,
  // and an OTLP exporter that encodes them straight from the facts.
  using Processor = TestTracing::Processor;
  TestTracing batch(nullptr, {}, Processor::kBatch);
  TestTracing batch_by_topic(std::make_unique<TopicSampler>(), {},
                             Processor::kBatch);
  OtlpEncodingCheck check;
  TestTracing batch_to_otlp(nullptr, {}, Processor::kBatch,
                            OtlpEncodingChecked(check));
  auto producer = Producer();
  const std::string max_deferred_key(36, 'k');  // kept in the span's facts
  const std::string long_key(37, 'l');          // too long: written at once
  for (const ProducerRecord& record :
       {ProducerRecord{.topic = "questions", .key = "user-7", .value = "1"},
        ProducerRecord{
            .topic = "questions", .key = max_deferred_key, .value = "22"},
        ProducerRecord{.topic = "questions", .key = long_key, .value = "333"},
        ProducerRecord{.topic = "questions", .partition = 1}}) {
    ASSERT_EQ(producer->Produce(record), RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  std::vector<std::map<std::string, std::vector<std::string>>> runs;
  for (TestTracing* tracing :
       {&tracing_, &batch, &batch_by_topic, &batch_to_otlp}) {
    auto consumer = TracingConsumer::Create(cluster_.ConsumerConf("compare"),
                                            tracing->tracer())
                        .value();
    // Each reads all four.
    ASSERT_EQ(AssignFromStart(*consumer, "questions", {0, 1}),
              RdKafka::ERR_NO_ERROR);
    for (int seen = 0; seen < 4;) {
      auto record = PollOne(*consumer);
      ASSERT_TRUE(record);
      ++seen;
      ProcessSpanScope process(*consumer, *record);
      // The tombstone's span gets nothing of the application's.
      if (record->value()) process.span().SetAttribute("app.step", "parsed");
      if (record->value() == "22") process.RecordError("ParseError", "bad");
      if (record->value() == "333")
        process.span().SetAttribute("messaging.consumer.group.name", "mine");
    }
    runs.push_back(ProcessSpansByBody(tracing->spans()));
  }
  ASSERT_EQ(runs[0].size(), 4u);
  const std::vector<std::string>& first = runs[0].at("1");
  ASSERT_GE(first.size(), 3u);
  EXPECT_EQ(first.front(), "messaging.system=\"kafka\"");
  EXPECT_EQ(first[first.size() - 3], "app.step=\"parsed\"");
  const auto has = [](const std::vector<std::string>& span,
                      const std::string& line) {
    return std::find(span.begin(), span.end(), line) != span.end();
  };
  EXPECT_TRUE(has(first, "messaging.kafka.message.key=\"user-7\""));
  for (const std::string prefix :
       {"server.address=", "server.port=", "messaging.kafka.cluster.id="}) {
    EXPECT_TRUE(std::any_of(first.begin(), first.end(), [&](const auto& line) {
      return line.starts_with(prefix);
    })) << prefix;
  }
  EXPECT_TRUE(has(first, "kafkatrace.record.queue_wait_ms=(present)"));
  EXPECT_TRUE(has(runs[0].at("2"),
                  "messaging.kafka.message.key=\"" + max_deferred_key + "\""));
  EXPECT_TRUE(has(runs[0].at("2"), "error.type=\"ParseError\""));
  EXPECT_TRUE(has(runs[0].at("3"), "messaging.consumer.group.name=\"mine\""));
  EXPECT_TRUE(has(runs[0].at("0"), "messaging.kafka.message.tombstone=true"));
  EXPECT_FALSE(has(runs[0].at("0"), "app.step=\"parsed\""));
  EXPECT_EQ(runs[1], runs[0]);
  EXPECT_EQ(runs[2], runs[0]);
  EXPECT_EQ(runs[3], runs[0]);
  // Only the tombstone's span has no attributes of its own to order the facts
  // among (and a key short enough to keep): it alone arrives as facts.
  EXPECT_EQ(check.spans_as_facts, 1);
  EXPECT_EQ(check.mismatched_batches, 0);
}

TEST_F(KafkaTracingTest, AKeyThatIsNotTextIsLeftOffItsSpans) {
  // A binary key (a UUID's bytes, an Avro-encoded key) has no string form:
  // the conventions leave messaging.kafka.message.key out, and written as a
  // string it would make strict OTLP receivers reject the whole batch. A key
  // of UTF-8 text beyond ASCII is kept. Checked for short keys (kept as facts
  // under a batch processor) and long ones (written at once).
  using Processor = TestTracing::Processor;
  OtlpEncodingCheck check;
  TestTracing batch_to_otlp(nullptr, {}, Processor::kBatch,
                            OtlpEncodingChecked(check));
  const std::string binary("\x9c\x00\xff\x01", 4);
  const std::string long_binary = std::string(40, 'b') + "\xC0\xAF";
  const std::string text = "cl\xC3\xA9-\xE2\x9C\x93";  // clé-✓
  const std::string long_text = std::string(40, 't') + "\xC3\xA9";
  const std::map<std::string, std::string> expected_key = {
      {"1", ""}, {"22", ""}, {"333", text}, {"4444", long_text}};
  for (TestTracing* tracing : {&tracing_, &batch_to_otlp}) {
    SCOPED_TRACE(tracing == &tracing_ ? "simple" : "batch");
    const std::string topic = tracing == &tracing_ ? "questions" : "answers";
    auto producer =
        TracingProducer::Create(cluster_.ProducerConf(), tracing->tracer())
            .value();
    for (const auto& [value, key] :
         std::vector<std::pair<std::string, std::string>>{
             {"1", binary},
             {"22", long_binary},
             {"333", text},
             {"4444", long_text}}) {
      ASSERT_EQ(
          producer->Produce(
              {.topic = topic, .partition = 0, .key = key, .value = value}),
          RdKafka::ERR_NO_ERROR);
    }
    ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
    auto consumer = TracingConsumer::Create(cluster_.ConsumerConf("keys"),
                                            tracing->tracer())
                        .value();
    ASSERT_EQ(AssignFromStart(*consumer, topic, {0}), RdKafka::ERR_NO_ERROR);
    for (int seen = 0; seen < 4; ++seen) {
      auto record = PollOne(*consumer);
      ASSERT_TRUE(record);
      ProcessSpanScope process(*consumer, *record);
    }
    consumer.reset();
    std::map<std::string, int> spans_by_body;
    for (const SpanData& span : tracing->spans()) {
      const AttributeValue* size =
          FindAttribute(span.attributes, "messaging.message.body.size");
      if (size == nullptr) continue;
      const int64_t n = std::get<int64_t>(*size);  // body "1", "22"...
      const std::string value(n, static_cast<char>('0' + n));
      ++spans_by_body[value];
      EXPECT_EQ(Str(span, "messaging.kafka.message.key"),
                expected_key.at(value))
          << span.name << " " << value;
    }
    for (const auto& [value, key] : expected_key)
      EXPECT_EQ(spans_by_body[value], 2) << value;  // a send and a process
  }
  EXPECT_EQ(check.spans, 8);
  EXPECT_EQ(check.mismatched_batches, 0);
}

TEST_F(KafkaTracingTest, CreatedFromTheProviderSpansAreInKafkatracesOwnScope) {
  // OpenTelemetry asks instrumentation libraries for a scope of their own,
  // with the schema URL of the conventions they follow; the application's
  // spans stay in its scope, and the trace still flows between the two.
  cluster_.CreateTopic("scoped", 1);
  TracerProvider& provider = *tracing_.provider;
  auto producer =
      TracingProducer::Create(cluster_.ProducerConf(), provider).value();
  Span request = tracing_.tracer().StartSpan("POST /questions");
  {
    ContextScope scope(request);
    ASSERT_EQ(producer->Produce({.topic = "scoped", .value = "hi"}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  request.End();
  auto consumer =
      TracingConsumer::Create(cluster_.ConsumerConf("scoped"), provider)
          .value();
  ASSERT_EQ(AssignFromStart(*consumer, "scoped", {0}), RdKafka::ERR_NO_ERROR);
  {
    auto record = PollOne(*consumer);  // freed before the consumer is
    ASSERT_TRUE(record);
    ProcessSpanScope process(*consumer, *record);
  }
  consumer.reset();

  const auto spans = tracing_.spans();
  const auto sends = Named(spans, "send scoped");
  const auto processes = Named(spans, "process scoped");
  const auto apps = Named(spans, "POST /questions");
  ASSERT_EQ(sends.size(), 1u);
  ASSERT_EQ(processes.size(), 1u);
  ASSERT_EQ(apps.size(), 1u);
  const SpanData* send = &sends[0];
  const SpanData* process = &processes[0];
  const SpanData* app = &apps[0];
  for (const SpanData* span : {send, process}) {
    ASSERT_NE(span->scope, nullptr);
    EXPECT_EQ(span->scope->name, kInstrumentationName);
    EXPECT_FALSE(span->scope->version.empty());
    EXPECT_EQ(span->scope->schema_url, kSemconvSchemaUrl);
    EXPECT_EQ(span->scope->schema_url,
              "https://opentelemetry.io/schemas/1.44.0");
  }
  EXPECT_EQ(send->scope, process->scope);  // one tracer for both
  EXPECT_EQ(app->scope->name, "test");
  EXPECT_TRUE(app->scope->schema_url.empty());
  EXPECT_EQ(send->parent_span_id, app->context.span_id());
  EXPECT_EQ(process->parent_span_id, send->context.span_id());
}

TEST_F(KafkaTracingTest, TombstoneAndBaggageTravel) {
  auto producer = Producer();
  Span parent = tracing_.tracer().StartSpan("parent");
  {
    ContextScope scope(
        Context{parent.context(), Baggage().With("tenant", "acme corp")});
    ASSERT_EQ(producer->Produce({.topic = "answers", .key = "k"}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer->Flush(5000), RdKafka::ERR_NO_ERROR);
  auto consumer = Consumer("answers");
  auto record = PollOne(*consumer);
  ASSERT_TRUE(record);
  EXPECT_FALSE(record->value().has_value());
  EXPECT_EQ(record->producer_context().baggage.Get("tenant"), "acme corp");
  {
    ProcessSpanScope process(*consumer, *record);
    EXPECT_EQ(Context::Current().baggage.Get("tenant"), "acme corp");
  }
  auto send = Named(tracing_.spans(), "send answers")[0];
  auto process = Named(tracing_.spans(), "process questions").empty()
                     ? Named(tracing_.spans(), "process answers")[0]
                     : SpanData{};
  auto tomb =
      FindAttribute(send.attributes, "messaging.kafka.message.tombstone");
  ASSERT_NE(tomb, nullptr);
  EXPECT_TRUE(std::get<bool>(*tomb));
  ASSERT_NE(
      FindAttribute(process.attributes, "messaging.kafka.message.tombstone"),
      nullptr);
}

// ---- Messaging metrics ----

// The value of `key` among a data point's attributes; "" when absent.
std::string PointAttr(const MetricPoint& point, const char* key) {
  for (const auto& attribute : point.attributes) {
    if (attribute.key.view() != key) continue;
    if (const auto* text = std::get_if<std::string>(&attribute.value))
      return *text;
    if (const auto* number = std::get_if<int64_t>(&attribute.value))
      return std::to_string(*number);
  }
  return "";
}

// The points of the metric `name` whose attributes hold each of `want`.
std::vector<MetricPoint> PointsOf(
    const MetricsSnapshot& snapshot, std::string_view name,
    std::map<std::string, std::string> want = {}) {
  std::vector<MetricPoint> out;
  for (const Metric& metric : snapshot.metrics) {
    if (metric.name != name) continue;
    for (const MetricPoint& point : metric.points) {
      bool match = true;
      for (const auto& [key, value] : want)
        match = match && PointAttr(point, key.c_str()) == value;
      if (match) out.push_back(point);
    }
  }
  return out;
}

uint64_t CountOf(const std::vector<MetricPoint>& points) {
  uint64_t total = 0;
  for (const auto& point : points) total += point.count;
  return total;
}

TEST_F(KafkaTracingTest, MetricsCountEveryRecordSampledOrNot) {
  // No record is sampled: the metrics must not depend on the spans.
  TestTracing unsampled(std::make_unique<AlwaysOffSampler>());
  MessagingMetrics metrics;
  auto producer = TracingProducer::Create(
      cluster_.ProducerConf(), unsampled.tracer(), {.metrics = &metrics});
  ASSERT_TRUE(producer.ok());
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ((*producer)->Produce(
                  {.topic = "questions", .partition = i % 2, .value = "q"}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ((*producer)->Flush(5000), RdKafka::ERR_NO_ERROR);
  MetricsSnapshot snapshot = metrics.Collect();
  const auto sent = PointsOf(snapshot, "messaging.client.sent.messages",
                             {{"messaging.destination.name", "questions"}});
  ASSERT_EQ(sent.size(), 2u);  // one series per partition
  EXPECT_EQ(CountOf(sent), 5u);
  // The mock's one broker, as its bootstrap address names it.
  const std::string& bootstrap = cluster_.bootstrap_servers();
  const std::string broker_host = bootstrap.substr(0, bootstrap.rfind(':'));
  const std::string broker_port = bootstrap.substr(bootstrap.rfind(':') + 1);
  for (const auto& point : sent) {
    EXPECT_EQ(PointAttr(point, "messaging.system"), "kafka");
    EXPECT_EQ(PointAttr(point, "messaging.operation.name"), "send");
    EXPECT_EQ(PointAttr(point, "messaging.operation.type"), "send");
    EXPECT_EQ(PointAttr(point, "error.type"), "");
    EXPECT_EQ(PointAttr(point, "server.address"), broker_host);
    EXPECT_EQ(PointAttr(point, "server.port"), broker_port);
  }
  EXPECT_EQ(CountOf(PointsOf(snapshot, "messaging.client.sent.messages",
                             {{"messaging.destination.partition.id", "1"}})),
            2u);
  const auto durations =
      PointsOf(snapshot, "messaging.client.operation.duration",
               {{"messaging.operation.name", "send"}});
  EXPECT_EQ(CountOf(durations), 5u);
  for (const auto& point : durations) {
    EXPECT_GT(point.sum, 0.0);  // produce call to acknowledgement
    EXPECT_LT(point.max, 5.0);
    ASSERT_EQ(point.bucket_counts.size(),
              MessagingMetrics::kDurationBounds.size() + 1);
  }

  auto consumer =
      TracingConsumer::Create(cluster_.ConsumerConf("g-metrics"),
                              unsampled.tracer(), {.metrics = &metrics});
  ASSERT_TRUE(consumer.ok());
  ASSERT_EQ(AssignFromStart(**consumer, "questions", {0, 1}),
            RdKafka::ERR_NO_ERROR);
  for (int i = 0; i < 3; ++i) {
    auto record = PollOne(**consumer);
    ASSERT_TRUE(record);
    ProcessSpanScope scope(**consumer, *record);
    if (i == 0) scope.RecordError("InvalidQuestion", "no question mark");
  }
  auto batch = (*consumer)->PollBatch(10, 2000);
  EXPECT_EQ(batch.size(), 2u);
  snapshot = metrics.Collect();
  const auto consumed =
      PointsOf(snapshot, "messaging.client.consumed.messages");
  EXPECT_EQ(CountOf(consumed), 5u);  // once each, at receive
  for (const auto& point : consumed) {
    EXPECT_EQ(PointAttr(point, "server.address"), broker_host);
    EXPECT_EQ(PointAttr(point, "messaging.operation.name"), "poll");
    EXPECT_EQ(PointAttr(point, "messaging.consumer.group.name"), "g-metrics");
    EXPECT_EQ(PointAttr(point, "messaging.destination.name"), "questions");
  }
  // Three single polls and one batch.
  EXPECT_EQ(CountOf(PointsOf(snapshot, "messaging.client.operation.duration",
                             {{"messaging.operation.name", "poll"}})),
            4u);
  EXPECT_EQ(CountOf(PointsOf(snapshot, "messaging.process.duration")), 3u);
  EXPECT_EQ(CountOf(PointsOf(snapshot, "messaging.process.duration",
                             {{"error.type", "InvalidQuestion"}})),
            1u);
  // A commit, timed, under the group coordinator.
  ASSERT_EQ((*consumer)->CommitSync(batch.back()), RdKafka::ERR_NO_ERROR);
  batch.clear();  // records before their consumer
  snapshot = metrics.Collect();
  const auto commits = PointsOf(snapshot, "messaging.client.operation.duration",
                                {{"messaging.operation.name", "commit"}});
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(PointAttr(commits[0], "messaging.operation.type"), "settle");
  EXPECT_EQ(PointAttr(commits[0], "messaging.consumer.group.name"),
            "g-metrics");
  EXPECT_EQ(PointAttr(commits[0], "server.address"), broker_host);
  EXPECT_EQ(PointAttr(commits[0], "error.type"), "");
  // A failed commit: its own series, named by the error.
  rd_kafka_mock_push_request_errors(
      cluster_.get(), testing::kOffsetCommitApiKey, 1,
      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  EXPECT_NE((*consumer)->CommitSync(), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(
      CountOf(PointsOf(metrics.Collect(), "messaging.client.operation.duration",
                       {{"messaging.operation.name", "commit"},
                        {"error.type", "TOPIC_AUTHORIZATION_FAILED"}})),
      1u);
  EXPECT_EQ(unsampled.spans().size(), 0u);
}

TEST_F(KafkaTracingTest, MetricsNameTheErrorOfAFailedSend) {
  MessagingMetrics metrics;
  auto conf = cluster_.ProducerConf();
  MockCluster::Set(*conf, "retries", "0");
  MockCluster::Set(*conf, "message.max.bytes", "1000");
  auto producer = TracingProducer::Create(std::move(conf), tracing_.tracer(),
                                          {.metrics = &metrics});
  ASSERT_TRUE(producer.ok());
  rd_kafka_mock_push_request_errors(
      cluster_.get(), testing::kProduceApiKey, 1,
      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  ASSERT_EQ((*producer)->Produce({.topic = "answers", .value = "x"}),
            RdKafka::ERR_NO_ERROR);
  (void)(*producer)->Flush(5000);
  // Refused at once: never sent, so not counted as sent; the operation failed.
  EXPECT_EQ((*producer)->Produce(
                {.topic = "answers", .value = std::string(5000, 'x')}),
            RdKafka::ERR_MSG_SIZE_TOO_LARGE);
  const MetricsSnapshot snapshot = metrics.Collect();
  const auto sent = PointsOf(snapshot, "messaging.client.sent.messages");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].count, 1u);
  EXPECT_EQ(PointAttr(sent[0], "error.type"), "TOPIC_AUTHORIZATION_FAILED");
  EXPECT_EQ(CountOf(PointsOf(snapshot, "messaging.client.operation.duration",
                             {{"error.type", "MSG_SIZE_TOO_LARGE"}})),
            1u);
}

TEST_F(KafkaTracingTest, ConsumerWithoutGroupIdIsAClearError) {
  std::unique_ptr<RdKafka::Conf> conf(
      RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  auto consumer = TracingConsumer::Create(std::move(conf), tracing_.tracer());
  ASSERT_FALSE(consumer.ok());
  EXPECT_NE(consumer.status().message().find("group.id"), std::string::npos);
}

}  // namespace
}  // namespace kafkatrace::kafka
