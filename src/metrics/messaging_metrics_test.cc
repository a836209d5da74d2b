#include "kafkatrace/metrics/messaging_metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "kafkatrace/metrics/periodic_metric_reader.h"

namespace kafkatrace {
namespace {

const MessagingMetricAttributes kSend{.operation_name = "send",
                                      .operation_type = "send",
                                      .destination = "orders",
                                      .partition = 3,
                                      .server_address = "broker-1",
                                      .server_port = 9092};

const Metric* Find(const MetricsSnapshot& snapshot, std::string_view name) {
  for (const Metric& metric : snapshot.metrics) {
    if (metric.name == name) return &metric;
  }
  return nullptr;
}

TEST(MessagingMetricsTest, ACounterSumsPerAttributeSet) {
  MessagingMetrics metrics;
  metrics.RecordSentMessages(kSend, 1);
  metrics.RecordSentMessages(kSend, 2);
  MessagingMetricAttributes failed = kSend;
  failed.error_type = "_MSG_TIMED_OUT";
  metrics.RecordSentMessages(failed, 1);
  const MetricsSnapshot snapshot = metrics.Collect();
  const Metric* sent = Find(snapshot, "messaging.client.sent.messages");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->kind, Metric::Kind::kMonotonicCounter);
  EXPECT_EQ(sent->unit, "{message}");
  ASSERT_EQ(sent->points.size(), 2u);
  uint64_t ok = 0, timed_out = 0;
  for (const auto& point : sent->points) {
    bool has_error = false;
    for (const auto& a : point.attributes)
      has_error = has_error || a.key.view() == "error.type";
    (has_error ? timed_out : ok) = point.count;
  }
  EXPECT_EQ(ok, 3u);
  EXPECT_EQ(timed_out, 1u);
  // Instruments nobody recorded into are left out.
  EXPECT_EQ(Find(snapshot, "messaging.process.duration"), nullptr);
  EXPECT_GT(snapshot.time_unix_nanos, snapshot.start_unix_nanos);
  EXPECT_EQ(snapshot.scope.name, "kafkatrace.kafka");
}

TEST(MessagingMetricsTest, AttributesUseTheConventionsNamesAndTypes) {
  MessagingMetrics metrics;
  metrics.RecordSentMessages(kSend, 1);
  const MetricsSnapshot snapshot = metrics.Collect();
  const auto& point =
      Find(snapshot, "messaging.client.sent.messages")->points.at(0);
  Attributes expected{{"messaging.system", std::string("kafka")},
                      {"messaging.operation.name", std::string("send")},
                      {"messaging.operation.type", std::string("send")},
                      {"messaging.destination.name", std::string("orders")},
                      // A string, as the conventions define it.
                      {"messaging.destination.partition.id", std::string("3")},
                      {"server.address", std::string("broker-1")},
                      {"server.port", int64_t{9092}}};
  EXPECT_EQ(point.attributes, expected);
}

TEST(MessagingMetricsTest, HistogramBucketsIncludeTheirUpperBound) {
  MessagingMetrics metrics;
  for (double seconds : {0.001, 0.005, 0.0051, 0.75, 10.0, 42.0})
    metrics.RecordOperationDuration(kSend, seconds);
  const MetricsSnapshot snapshot = metrics.Collect();
  const Metric* duration =
      Find(snapshot, "messaging.client.operation.duration");
  ASSERT_NE(duration, nullptr);
  EXPECT_EQ(duration->unit, "s");
  ASSERT_EQ(duration->bounds.size(), 14u);
  EXPECT_EQ(duration->bounds.front(), 0.005);
  EXPECT_EQ(duration->bounds.back(), 10.0);
  ASSERT_EQ(duration->points.size(), 1u);
  const MetricPoint& point = duration->points[0];
  EXPECT_EQ(point.count, 6u);
  EXPECT_DOUBLE_EQ(point.sum, 0.001 + 0.005 + 0.0051 + 0.75 + 10.0 + 42.0);
  EXPECT_EQ(point.min, 0.001);
  EXPECT_EQ(point.max, 42.0);
  std::vector<uint64_t> expected(15, 0);
  expected[0] = 2;   // (-inf, 0.005]: 0.001 and 0.005 itself
  expected[1] = 1;   // (0.005, 0.01]
  expected[8] = 1;   // (0.5, 0.75]
  expected[13] = 1;  // (7.5, 10]
  expected[14] = 1;  // (10, +inf)
  EXPECT_EQ(point.bucket_counts, expected);
}

TEST(MessagingMetricsTest, SeriesBeyondTheLimitGoToOneOverflowSeries) {
  MessagingMetrics metrics(/*cardinality_limit=*/3);
  std::vector<std::string> topics;
  for (int i = 0; i < 10; ++i) topics.push_back("t" + std::to_string(i));
  for (const auto& topic : topics) {
    MessagingMetricAttributes a = kSend;
    a.destination = topic;
    metrics.RecordSentMessages(a, 1);
  }
  const MetricsSnapshot snapshot = metrics.Collect();
  const Metric* sent = Find(snapshot, "messaging.client.sent.messages");
  ASSERT_EQ(sent->points.size(), 4u);
  const MetricPoint& overflow = sent->points.back();
  ASSERT_EQ(overflow.attributes.size(), 1u);
  EXPECT_EQ(overflow.attributes[0].key.view(), "otel.metric.overflow");
  EXPECT_EQ(overflow.count, 7u);  // nothing lost: 3 + 7 = 10
  EXPECT_EQ(metrics.overflowed(), 7u);
}

TEST(MessagingMetricsTest, ConcurrentRecordingLosesNothing) {
  MessagingMetrics metrics;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&metrics, t] {
      MessagingMetricAttributes a = kSend;
      a.partition = t % 2;
      for (int i = 0; i < 10000; ++i) {
        metrics.RecordConsumedMessages(a, 1);
        metrics.RecordProcessDuration(a, 0.01);
      }
    });
  }
  // Collecting while they record must be safe.
  for (int i = 0; i < 20; ++i) (void)metrics.Collect();
  for (auto& thread : threads) thread.join();
  const MetricsSnapshot snapshot = metrics.Collect();
  uint64_t consumed = 0, processed = 0;
  for (const auto& p :
       Find(snapshot, "messaging.client.consumed.messages")->points)
    consumed += p.count;
  for (const auto& p : Find(snapshot, "messaging.process.duration")->points)
    processed += p.count;
  EXPECT_EQ(consumed, 40000u);
  EXPECT_EQ(processed, 40000u);
}

TEST(MessagingMetricsTest, DeltaCollectionsCoverTheirIntervalOnly) {
  MessagingMetrics metrics;
  metrics.RecordSend(kSend, 0.02);
  metrics.RecordSend(kSend, 0.3);
  const MetricsSnapshot first = metrics.Collect(AggregationTemporality::kDelta);
  EXPECT_EQ(first.temporality, AggregationTemporality::kDelta);
  const Metric* sent = Find(first, "messaging.client.sent.messages");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->points.at(0).count, 2u);
  metrics.RecordSend(kSend, 4.0);
  const MetricsSnapshot second =
      metrics.Collect(AggregationTemporality::kDelta);
  // The interval starts where the previous one ended.
  EXPECT_EQ(second.start_unix_nanos, first.time_unix_nanos);
  EXPECT_EQ(Find(second, "messaging.client.sent.messages")->points.at(0).count,
            1u);
  const MetricPoint& duration =
      Find(second, "messaging.client.operation.duration")->points.at(0);
  EXPECT_EQ(duration.count, 1u);
  EXPECT_EQ(duration.min, 4.0);  // this interval's, not 0.02
  EXPECT_EQ(duration.max, 4.0);
  // Nothing new: nothing to send.
  EXPECT_TRUE(metrics.Collect(AggregationTemporality::kDelta).metrics.empty());
}

// Keeps what it is handed, for the reader's tests.
class StoringExporter final : public MetricExporter {
 public:
  ExportResult Export(const MetricsSnapshot& snapshot, const Resource& resource,
                      Deadline deadline) noexcept override {
    std::lock_guard lock(mutex);
    snapshots.push_back(snapshot);
    deadlines.push_back(deadline);
    service = resource.service_name();
    return ExportResult::kSuccess;
  }
  bool Shutdown(Deadline) noexcept override {
    shut_down = true;
    return true;
  }
  std::mutex mutex;
  std::vector<MetricsSnapshot> snapshots;
  std::vector<Deadline> deadlines;
  std::string service;
  std::atomic<bool> shut_down{false};
};

TEST(PeriodicMetricReaderTest, ExportsEveryIntervalAndOnceMoreAtShutdown) {
  MessagingMetrics metrics;
  auto exporter = std::make_unique<StoringExporter>();
  StoringExporter& seen = *exporter;
  PeriodicMetricReader reader(metrics, Resource::Default("svc"),
                              std::move(exporter),
                              {.interval = std::chrono::milliseconds(20)});
  metrics.RecordSentMessages(kSend, 1);
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard lock(seen.mutex);
      if (!seen.snapshots.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  metrics.RecordSentMessages(kSend, 4);
  reader.Shutdown();
  std::lock_guard lock(seen.mutex);
  ASSERT_GE(seen.snapshots.size(), 2u);
  // The last export, at shutdown, holds everything recorded (cumulative).
  EXPECT_EQ(seen.snapshots.back().metrics.at(0).points.at(0).count, 5u);
  EXPECT_EQ(seen.service, "svc");
  EXPECT_TRUE(seen.shut_down);
  EXPECT_FALSE(reader.ForceFlush());  // shut down
}

// A caller's bound (a command's exit) holds for the export it waits for,
// however long the configured timeout; without one, the timeout applies.
TEST(PeriodicMetricReaderTest, AFlushOrShutdownExportEndsByItsDeadline) {
  MessagingMetrics metrics;
  auto exporter = std::make_unique<StoringExporter>();
  StoringExporter& seen = *exporter;
  const auto timeout = std::chrono::seconds(30);
  PeriodicMetricReader reader(
      metrics, Resource(), std::move(exporter),
      {.interval = std::chrono::hours(1), .timeout = timeout});
  metrics.RecordSentMessages(kSend, 1);
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(reader.ForceFlush());
  const Deadline flush_by =
      std::chrono::steady_clock::now() + std::chrono::seconds(2);
  ASSERT_TRUE(reader.ForceFlush(flush_by));
  const Deadline stop_by =
      std::chrono::steady_clock::now() + std::chrono::seconds(1);
  reader.Shutdown(stop_by);
  std::lock_guard lock(seen.mutex);
  ASSERT_EQ(seen.deadlines.size(), 3u);
  EXPECT_GE(seen.deadlines[0], before + timeout);
  EXPECT_EQ(seen.deadlines[1], flush_by);
  EXPECT_EQ(seen.deadlines[2], stop_by);
}

TEST(PeriodicMetricReaderTest, NothingRecordedNothingExported) {
  MessagingMetrics metrics;
  auto exporter = std::make_unique<StoringExporter>();
  StoringExporter& seen = *exporter;
  PeriodicMetricReader reader(metrics, Resource(), std::move(exporter));
  EXPECT_TRUE(reader.ForceFlush());
  reader.Shutdown();
  EXPECT_TRUE(seen.snapshots.empty());
}

}  // namespace
}  // namespace kafkatrace
