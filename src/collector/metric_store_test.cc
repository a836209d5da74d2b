// The viewer's metrics side: OTLP metrics requests, as kafkatrace's own
// exporter encodes them, decoded and kept.
#include "collector/metric_store.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "collector/otlp_metrics_decoder.h"
#include "collector/otlp_receiver.h"
#include "kafkatrace/metrics/messaging_metrics.h"
#include "otlp/otlp_metrics_encoder.h"

namespace kafkatrace::collector {
namespace {

MetricsSnapshot Recorded(MessagingMetrics& metrics) {
  const MessagingMetricAttributes send{.operation_name = "send",
                                       .operation_type = "send",
                                       .destination = "orders",
                                       .partition = 2};
  metrics.RecordSend(send, 0.02);
  metrics.RecordSend(send, 0.3);
  metrics.RecordSend(send, 0.3);
  return metrics.Collect();
}

void ExpectDecoded(const DecodedMetrics& decoded) {
  ASSERT_EQ(decoded.points.size(), 2u);
  const ReceivedMetricPoint& duration = decoded.points[0];
  EXPECT_EQ(duration.service, "shop");
  EXPECT_EQ(duration.name, "messaging.client.operation.duration");
  EXPECT_EQ(duration.unit, "s");
  EXPECT_EQ(duration.kind, ReceivedMetricPoint::Kind::kHistogram);
  EXPECT_FALSE(duration.delta);
  EXPECT_EQ(duration.count, 3u);
  EXPECT_DOUBLE_EQ(duration.sum, 0.62);
  ASSERT_EQ(duration.bounds.size(), 14u);
  ASSERT_EQ(duration.bucket_counts.size(), 15u);
  EXPECT_EQ(duration.bucket_counts[2], 1u);  // (0.01, 0.025]
  EXPECT_EQ(duration.bucket_counts[7], 2u);  // (0.25, 0.5]
  const auto attributes = nlohmann::json::parse(duration.attributes);
  EXPECT_EQ(attributes["messaging.destination.name"], "orders");
  EXPECT_EQ(attributes["messaging.destination.partition.id"], "2");
  const ReceivedMetricPoint& sent = decoded.points[1];
  EXPECT_EQ(sent.name, "messaging.client.sent.messages");
  EXPECT_EQ(sent.kind, ReceivedMetricPoint::Kind::kSum);
  EXPECT_EQ(sent.value, 3.0);
  EXPECT_GT(sent.time_unix_nanos, sent.start_unix_nanos);
}

TEST(OtlpMetricsDecoderTest, ReadsWhatTheExporterEncodesInBothEncodings) {
  MessagingMetrics metrics;
  const MetricsSnapshot snapshot = Recorded(metrics);
  const Resource resource = Resource::Default("shop");
  std::string protobuf, json;
  otlp::EncodeMetricsProtobuf(snapshot, resource, protobuf);
  otlp::EncodeMetricsJson(snapshot, resource, json);
  auto from_protobuf = DecodeOtlpMetricsProtobuf(protobuf);
  ASSERT_TRUE(from_protobuf.ok()) << from_protobuf.status().message();
  ExpectDecoded(*from_protobuf);
  auto from_json = DecodeOtlpMetricsJson(json);
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  ExpectDecoded(*from_json);
}

TEST(OtlpMetricsDecoderTest, MalformedBodiesAreErrorsAndOtherKindsAreCounted) {
  EXPECT_FALSE(DecodeOtlpMetricsProtobuf("\x0a\xff\xff\xff\x0f").ok());
  EXPECT_FALSE(DecodeOtlpMetricsJson("[1]").ok());
  EXPECT_FALSE(DecodeOtlpMetricsJson(R"({"resourceMetrics": 7})").ok());
  // Bucket counts that do not fit the bounds.
  EXPECT_FALSE(DecodeOtlpMetricsJson(R"({"resourceMetrics": [{"scopeMetrics": [{
      "metrics": [{"name": "h", "histogram": {"dataPoints": [
        {"count": "1", "bucketCounts": ["1"], "explicitBounds": [1, 2]}]}}]}]}]})")
                   .ok());
  auto summary =
      DecodeOtlpMetricsJson(R"({"resourceMetrics": [{"scopeMetrics": [{
      "metrics": [{"name": "s", "summary": {"dataPoints": [{}, {}]}},
                  {"name": "g", "gauge": {"dataPoints": [{"asDouble": 2.5}]}}]}]}]})");
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->skipped, 2);
  ASSERT_EQ(summary->points.size(), 1u);
  EXPECT_EQ(summary->points[0].kind, ReceivedMetricPoint::Kind::kGauge);
  EXPECT_EQ(summary->points[0].value, 2.5);

  MetricStore store;
  const OtlpReply reply =
      ReceiveOtlpMetrics("application/json",
                         R"({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
          {"name": "s", "summary": {"dataPoints": [{}]}}]}]}]})",
                         store);
  EXPECT_EQ(reply.status, 200);
  const auto body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["partialSuccess"]["rejectedDataPoints"], "1");
  EXPECT_EQ(ReceiveOtlpMetrics("application/json", "nope", store).status, 400);
  EXPECT_EQ(ReceiveOtlpMetrics("text/plain", "{}", store).status, 415);
}

ReceivedMetricPoint Point(std::string attributes, bool delta, double value) {
  ReceivedMetricPoint p;
  p.service = "svc";
  p.name = "messaging.client.sent.messages";
  p.attributes = std::move(attributes);
  p.delta = delta;
  p.value = value;
  return p;
}

TEST(MetricStoreTest, CumulativeReplacesDeltaAddsAndSeriesAreBounded) {
  MetricStore store;
  store.Add({Point("{}", false, 5), Point("{}", false, 7)});
  store.Add({Point(R"({"a":1})", true, 2), Point(R"({"a":1})", true, 3)});
  auto series = store.Series();
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].attributes, R"({"a":1})");  // sorted by attributes
  EXPECT_EQ(series[0].value, 5);                  // delta: 2 + 3
  EXPECT_EQ(series[1].value, 7);                  // cumulative: the latest
  std::vector<ReceivedMetricPoint> many;
  for (size_t i = 0; i < MetricStore::kMaxSeries + 5; ++i)
    many.push_back(Point("{\"i\":" + std::to_string(i) + "}", false, 1));
  store.Add(std::move(many));
  EXPECT_EQ(store.Series().size(), MetricStore::kMaxSeries);
  EXPECT_EQ(store.dropped(), 7u);  // 2 already kept, so 7 over the bound
}

TEST(MetricStoreTest, QuantilesInterpolateInsideTheirBucket) {
  ReceivedMetricPoint h;
  h.kind = ReceivedMetricPoint::Kind::kHistogram;
  h.bounds = {1, 2, 4};
  h.bucket_counts = {0, 10, 10, 0};  // ten in (1, 2], ten in (2, 4]
  EXPECT_DOUBLE_EQ(MetricStore::Quantile(h, 0.5), 2.0);
  EXPECT_DOUBLE_EQ(MetricStore::Quantile(h, 0.25), 1.5);
  EXPECT_DOUBLE_EQ(MetricStore::Quantile(h, 0.75), 3.0);
  h.bucket_counts = {0, 0, 0, 4};  // all above the last bound
  EXPECT_DOUBLE_EQ(MetricStore::Quantile(h, 0.99), 4.0);
  h.bucket_counts = {0, 0, 0, 0};
  EXPECT_TRUE(std::isnan(MetricStore::Quantile(h, 0.5)));
}

}  // namespace
}  // namespace kafkatrace::collector
