// OTLP metrics: the encoding, checked with decoders that share none of the
// encoder's code (the test-only ProtoMessage parser, `protoc --decode_raw`,
// nlohmann::json), and the exporter against a loopback receiver.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "kafkatrace/metrics/periodic_metric_reader.h"
#include "kafkatrace/otlp/otlp_metric_exporter.h"
#include "otlp/otlp_metrics_encoder.h"
#include "support/otlp_receiver.h"
#include "support/proto_tree.h"
#include "support/protoc.h"

namespace kafkatrace {
namespace {

using testing::ProtoMessage;

// One counter series and one histogram series, as the Kafka clients record.
MetricsSnapshot Recorded(MessagingMetrics& metrics) {
  const MessagingMetricAttributes send{.operation_name = "send",
                                       .operation_type = "send",
                                       .destination = "orders",
                                       .partition = 1};
  metrics.RecordSentMessages(send, 7);
  metrics.RecordOperationDuration(send, 0.02);
  metrics.RecordOperationDuration(send, 3.0);
  return metrics.Collect();
}

const Resource kResource = Resource::Default("metrics-test");

std::vector<uint64_t> PackedFixed64(const std::string& bytes) {
  std::vector<uint64_t> out(bytes.size() / 8);
  std::memcpy(out.data(), bytes.data(), out.size() * 8);
  return out;
}

TEST(OtlpMetricsProtobufTest, EveryField) {
  MessagingMetrics metrics;
  const MetricsSnapshot snapshot = Recorded(metrics);
  std::string body;
  otlp::EncodeMetricsProtobuf(snapshot, kResource, body);
  const ProtoMessage resource_metrics = ProtoMessage::Parse(body).Sub(1);
  bool found_service = false;
  for (const auto& kv : resource_metrics.Sub(1).Subs(1))
    found_service = found_service || kv.Str(1) == "service.name";
  EXPECT_TRUE(found_service);
  const ProtoMessage scope_metrics = resource_metrics.Sub(2);
  EXPECT_EQ(scope_metrics.Sub(1).Str(1), "kafkatrace.kafka");
  EXPECT_EQ(scope_metrics.Str(3), "https://opentelemetry.io/schemas/1.44.0");
  const auto metric_messages = scope_metrics.Subs(2);
  ASSERT_EQ(metric_messages.size(), 2u);

  // Instruments in their order: the duration histogram first.
  const ProtoMessage& histogram_metric = metric_messages[0];
  EXPECT_EQ(histogram_metric.Str(1), "messaging.client.operation.duration");
  EXPECT_EQ(histogram_metric.Str(3), "s");
  EXPECT_FALSE(histogram_metric.Str(2).empty());
  const ProtoMessage histogram = histogram_metric.Sub(9);
  EXPECT_EQ(histogram.Num(2), 2u);  // CUMULATIVE
  const ProtoMessage hp = histogram.Sub(1);
  EXPECT_EQ(hp.Num(2), static_cast<uint64_t>(snapshot.start_unix_nanos));
  EXPECT_EQ(hp.Num(3), static_cast<uint64_t>(snapshot.time_unix_nanos));
  EXPECT_EQ(hp.Num(4), 2u);  // count
  EXPECT_EQ(std::bit_cast<double>(hp.Num(5)), 3.02);
  EXPECT_EQ(std::bit_cast<double>(hp.Num(11)), 0.02);
  EXPECT_EQ(std::bit_cast<double>(hp.Num(12)), 3.0);
  const auto buckets = PackedFixed64(hp.Str(6));
  ASSERT_EQ(buckets.size(), 15u);
  EXPECT_EQ(buckets[2], 1u);   // (0.01, 0.025]
  EXPECT_EQ(buckets[11], 1u);  // (2.5, 5]
  const auto bounds = PackedFixed64(hp.Str(7));
  ASSERT_EQ(bounds.size(), 14u);
  EXPECT_EQ(std::bit_cast<double>(bounds[0]), 0.005);
  EXPECT_EQ(std::bit_cast<double>(bounds[13]), 10.0);
  bool found_partition = false;
  for (const auto& kv : hp.Subs(9)) {
    if (kv.Str(1) == "messaging.destination.partition.id") {
      found_partition = true;
      EXPECT_EQ(kv.Sub(2).Str(1), "1");  // AnyValue.string_value
    }
  }
  EXPECT_TRUE(found_partition);

  const ProtoMessage& counter_metric = metric_messages[1];
  EXPECT_EQ(counter_metric.Str(1), "messaging.client.sent.messages");
  EXPECT_EQ(counter_metric.Str(3), "{message}");
  const ProtoMessage sum = counter_metric.Sub(7);
  EXPECT_EQ(sum.Num(2), 2u);  // CUMULATIVE
  EXPECT_EQ(sum.Num(3), 1u);  // monotonic
  const ProtoMessage np = sum.Sub(1);
  EXPECT_EQ(np.Num(6), 7u);          // as_int
  EXPECT_FALSE(np.Subs(7).empty());  // attributes
}

// protoc is Debian's protobuf-compiler: a decoder nobody here wrote.
TEST(OtlpMetricsProtobufTest, ProtocDecodeRawAcceptsTheRequest) {
  MessagingMetrics metrics;
  std::string body;
  otlp::EncodeMetricsProtobuf(Recorded(metrics), kResource, body);
  std::string error;
  const std::optional<std::string> decoded =
      testing::ProtocDecodeRaw(body, &error);
  ASSERT_TRUE(decoded) << error;
  const std::string& text = *decoded;
  EXPECT_NE(text.find("1: \"messaging.client.sent.messages\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("6: 0x0000000000000007"), std::string::npos)
      << text;  // as_int, sfixed64
  EXPECT_NE(text.find("4: 0x0000000000000002"), std::string::npos)
      << text;  // histogram count, fixed64
}

TEST(OtlpMetricsJsonTest, EveryFieldInTheProto3Mapping) {
  MessagingMetrics metrics;
  const MetricsSnapshot snapshot = Recorded(metrics);
  std::string body;
  otlp::EncodeMetricsJson(snapshot, kResource, body);
  const auto j = nlohmann::json::parse(body);
  const auto& sm = j["resourceMetrics"][0]["scopeMetrics"][0];
  EXPECT_EQ(sm["scope"]["name"], "kafkatrace.kafka");
  EXPECT_EQ(sm["schemaUrl"], "https://opentelemetry.io/schemas/1.44.0");
  const auto& histogram = sm["metrics"][0];
  EXPECT_EQ(histogram["name"], "messaging.client.operation.duration");
  EXPECT_EQ(histogram["unit"], "s");
  EXPECT_EQ(histogram["histogram"]["aggregationTemporality"], 2);
  const auto& hp = histogram["histogram"]["dataPoints"][0];
  // 64-bit integers are strings; doubles are numbers.
  EXPECT_EQ(hp["count"], "2");
  EXPECT_EQ(hp["startTimeUnixNano"], std::to_string(snapshot.start_unix_nanos));
  EXPECT_EQ(hp["timeUnixNano"], std::to_string(snapshot.time_unix_nanos));
  EXPECT_DOUBLE_EQ(hp["sum"].get<double>(), 3.02);
  EXPECT_EQ(hp["min"].get<double>(), 0.02);
  EXPECT_EQ(hp["max"].get<double>(), 3.0);
  ASSERT_EQ(hp["bucketCounts"].size(), 15u);
  EXPECT_EQ(hp["bucketCounts"][2], "1");
  ASSERT_EQ(hp["explicitBounds"].size(), 14u);
  EXPECT_EQ(hp["explicitBounds"][0].get<double>(), 0.005);
  const auto& counter = sm["metrics"][1];
  EXPECT_EQ(counter["sum"]["isMonotonic"], true);
  EXPECT_EQ(counter["sum"]["aggregationTemporality"], 2);
  EXPECT_EQ(counter["sum"]["dataPoints"][0]["asInt"], "7");
  EXPECT_EQ(counter["sum"]["dataPoints"][0]["attributes"][0]["key"],
            "messaging.system");
}

TEST(OtlpMetricsProtobufTest,
     DeltaPointsSayDeltaAndStartAtThePreviousCollection) {
  MessagingMetrics metrics;
  (void)Recorded(metrics);
  const MetricsSnapshot delta = metrics.Collect(AggregationTemporality::kDelta);
  std::string body;
  otlp::EncodeMetricsProtobuf(delta, kResource, body);
  const auto metric_messages = ProtoMessage::Parse(body).Sub(1).Sub(2).Subs(2);
  ASSERT_EQ(metric_messages.size(), 2u);
  EXPECT_EQ(metric_messages[0].Sub(9).Num(2), 1u);  // DELTA
  EXPECT_EQ(metric_messages[1].Sub(7).Num(2), 1u);
  EXPECT_EQ(metric_messages[1].Sub(7).Num(3), 1u);  // still monotonic
  EXPECT_EQ(metric_messages[1].Sub(7).Sub(1).Num(2),
            static_cast<uint64_t>(delta.start_unix_nanos));
  std::string json;
  otlp::EncodeMetricsJson(delta, kResource, json);
  const auto j = nlohmann::json::parse(json);
  EXPECT_EQ(j["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]["sum"]
             ["aggregationTemporality"],
            1);
}

TEST(OtlpMetricExporterTest, PostsToTheMetricsPathAndCountsPoints) {
  testing::OtlpReceiver receiver;
  receiver.Script({{.status = 200,
                    // partial_success { rejected_data_points: 1 }
                    .body = std::string("\x0a\x02\x08\x01", 4)}});
  auto exporter = OtlpMetricExporter::Create(
      {.endpoint = receiver.metrics_url(),
       .compression = OtlpHttpExporterOptions::Compression::kGzip});
  ASSERT_TRUE(exporter.ok()) << exporter.status().message();
  MessagingMetrics metrics;
  EXPECT_EQ((*exporter)->Export(
                Recorded(metrics), kResource,
                std::chrono::steady_clock::now() + std::chrono::seconds(5)),
            ExportResult::kSuccess);
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/metrics");
  EXPECT_EQ(requests[0].content_type, "application/x-protobuf");
  EXPECT_EQ(requests[0].content_encoding, "gzip");
  EXPECT_EQ(ProtoMessage::Parse(requests[0].body).Sub(1).Sub(2).Subs(2).size(),
            2u);
  EXPECT_EQ((*exporter)->stats().points_exported, 1u);
  EXPECT_EQ((*exporter)->stats().points_rejected, 1u);
}

TEST(OtlpMetricExporterTest, AnUnreachableReceiverCountsTheFailedPoints) {
  auto exporter = OtlpMetricExporter::Create(
      {.endpoint = "http://127.0.0.1:1/v1/metrics", .max_attempts = 1});
  ASSERT_TRUE(exporter.ok());
  MessagingMetrics metrics;
  EXPECT_EQ((*exporter)->Export(
                Recorded(metrics), kResource,
                std::chrono::steady_clock::now() + std::chrono::seconds(5)),
            ExportResult::kFailure);
  EXPECT_EQ((*exporter)->stats().points_failed, 2u);
}

class MetricsEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name :
         {"OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT",
          "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
          "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL",
          "OTEL_METRIC_EXPORT_INTERVAL", "OTEL_SDK_DISABLED",
          "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"}) {
      unsetenv(name);
    }
  }
};

TEST_F(MetricsEnvTest, MetricsHaveTheirOwnPathAndVariables) {
  using Options = OtlpHttpExporterOptions;
  EXPECT_EQ(Options::FromEnv(OtlpSignal::kMetrics)->endpoint,
            "http://localhost:4318/v1/metrics");
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:1/x", 1);
  EXPECT_EQ(Options::FromEnv(OtlpSignal::kMetrics)->endpoint,
            "http://collector:4318/v1/metrics");
  EXPECT_EQ(Options::FromEnv()->endpoint, "http://traces:1/x");
  setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:2/y", 1);
  EXPECT_EQ(Options::FromEnv(OtlpSignal::kMetrics)->endpoint,
            "http://metrics:2/y");
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "kafka", 1);
  auto bad = Options::FromEnv(OtlpSignal::kMetrics);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"),
            std::string::npos)
      << bad.status().message();
  EXPECT_EQ(Options::FromEnv()->protocol, Options::Protocol::kHttpJson);
}

TEST(OtlpMetricsEndpointTest, TheMetricsEndpointOfATracesEndpoint) {
  using Options = OtlpHttpExporterOptions;
  EXPECT_EQ(Options::MetricsEndpointFor("http://viewer:4318/v1/traces", false),
            "http://viewer:4318/v1/metrics");
  EXPECT_EQ(Options::MetricsEndpointFor("https://x/base/v1/traces", false),
            "https://x/base/v1/metrics");
  EXPECT_EQ(Options::MetricsEndpointFor("http://x/custom", false),
            std::nullopt);
  EXPECT_EQ(Options::MetricsEndpointFor("http://collector:4317", true),
            "http://collector:4317");
}

TEST_F(MetricsEnvTest, TemporalityPreference) {
  EXPECT_EQ(PeriodicMetricReaderOptions::FromEnv()->temporality,
            AggregationTemporality::kCumulative);
  for (const char* delta : {"delta", "LowMemory"}) {
    setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", delta, 1);
    EXPECT_EQ(PeriodicMetricReaderOptions::FromEnv()->temporality,
              AggregationTemporality::kDelta)
        << delta;
  }
  setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes", 1);
  auto bad = PeriodicMetricReaderOptions::FromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(
                "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"),
            std::string::npos);
}

TEST_F(MetricsEnvTest, TheReaderIsOptInAndExportsAtShutdown) {
  MessagingMetrics metrics;
  auto none = PeriodicMetricReader::FromEnv(metrics, kResource);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none.value(), nullptr);  // unset: no metrics export
  setenv("OTEL_METRICS_EXPORTER", "prometheus", 1);
  auto unknown = PeriodicMetricReader::FromEnv(metrics, kResource);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("prometheus"), std::string::npos);
  setenv("OTEL_METRICS_EXPORTER", "otlp", 1);
  setenv("OTEL_METRIC_EXPORT_INTERVAL", "0", 1);
  EXPECT_FALSE(PeriodicMetricReader::FromEnv(metrics, kResource).ok());

  testing::OtlpReceiver receiver;
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.base_url().c_str(), 1);
  setenv("OTEL_METRIC_EXPORT_INTERVAL", "60000", 1);
  auto reader = PeriodicMetricReader::FromEnv(metrics, kResource);
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ASSERT_NE(reader.value(), nullptr);
  (void)Recorded(metrics);
  (*reader)->Shutdown();  // long before the interval: the last export
  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/metrics");
}

}  // namespace
}  // namespace kafkatrace
