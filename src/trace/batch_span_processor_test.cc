#include "kafkatrace/batch_span_processor.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <condition_variable>
#include <future>
#include <thread>

#include "kafkatrace/in_memory_span_exporter.h"
#include "support/test_tracing.h"

namespace kafkatrace {
namespace {

using testing::SecondsFromNow;

std::unique_ptr<SpanData> SampledSpan(int n = 0) {
  auto span = std::make_unique<SpanData>();
  span->context = SpanContext(
      TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
      SpanId::FromHex("00f067aa0ba902b7").value(), kTraceFlagSampled, false);
  span->name = "span-" + std::to_string(n);
  return span;
}

// An exporter that blocks inside Export until released, like a hung collector.
class StuckExporter final : public SpanExporter {
 public:
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline) noexcept override {
    std::unique_lock lock(mutex_);
    ++calls_;
    entered_.notify_all();
    released_cv_.wait(lock, [&] { return released_; });
    exported_ += batch.size();
    return ExportResult::kSuccess;
  }
  void WaitUntilEntered() {
    std::unique_lock lock(mutex_);
    entered_.wait(lock, [&] { return calls_ > 0; });
  }
  void Release() {
    std::lock_guard lock(mutex_);
    released_ = true;
    released_cv_.notify_all();
  }
  size_t exported() {
    std::lock_guard lock(mutex_);
    return exported_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_, released_cv_;
  bool released_ = false;
  int calls_ = 0;
  size_t exported_ = 0;
};

// Counts batch sizes.
class CountingExporter final : public SpanExporter {
 public:
  explicit CountingExporter(std::vector<size_t>* sizes,
                            ExportResult result = ExportResult::kSuccess)
      : sizes_(sizes), result_(result) {}
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline) noexcept override {
    sizes_->push_back(batch.size());
    return result_;
  }

 private:
  std::vector<size_t>* sizes_;
  ExportResult result_;
};

TEST(BatchSpanProcessorTest, ForceFlushExportsEverythingInBatches) {
  std::vector<size_t> sizes;
  BatchSpanProcessor processor(std::make_unique<CountingExporter>(&sizes),
                               {.max_queue_size = 100,
                                .max_export_batch_size = 30,
                                .schedule_delay = std::chrono::hours(1)});
  for (int i = 0; i < 70; ++i) processor.OnEnd(SampledSpan(i));
  ASSERT_TRUE(processor.ForceFlush(SecondsFromNow(10)));
  size_t total = 0;
  for (size_t s : sizes) {
    EXPECT_LE(s, 30u);
    total += s;
  }
  EXPECT_EQ(total, 70u);
  auto stats = processor.stats();
  EXPECT_EQ(stats.spans_ended, 70u);
  EXPECT_EQ(stats.spans_exported, 70u);
  EXPECT_EQ(stats.spans_dropped, 0u);
}

TEST(BatchSpanProcessorTest, UnsampledSpansAreIgnored) {
  std::vector<size_t> sizes;
  BatchSpanProcessor processor(std::make_unique<CountingExporter>(&sizes));
  auto span = SampledSpan();
  span->context =
      SpanContext(span->context.trace_id(), span->context.span_id(), 0, false);
  processor.OnEnd(std::move(span));
  ASSERT_TRUE(processor.ForceFlush(SecondsFromNow(10)));
  EXPECT_TRUE(sizes.empty());
  EXPECT_EQ(processor.stats().spans_ended, 0u);
}

TEST(BatchSpanProcessorTest, FailedExportsAreCounted) {
  std::vector<size_t> sizes;
  BatchSpanProcessor processor(
      std::make_unique<CountingExporter>(&sizes, ExportResult::kFailure));
  for (int i = 0; i < 5; ++i) processor.OnEnd(SampledSpan(i));
  ASSERT_TRUE(processor.Shutdown(SecondsFromNow(10)));
  auto stats = processor.stats();
  EXPECT_EQ(stats.spans_failed, 5u);
  EXPECT_EQ(stats.spans_exported, 0u);
}

// The core promise: with the exporter hung, OnEnd still returns at once, drops
// what does not fit, and the books balance exactly once the exporter recovers.
TEST(BatchSpanProcessorTest,
     StuckExporterNeverBlocksOnEndAndAccountingIsExact) {
  auto exporter = std::make_unique<StuckExporter>();
  StuckExporter* stuck = exporter.get();
  BatchSpanProcessor processor(std::move(exporter),
                               {.max_queue_size = 8,
                                .max_export_batch_size = 4,
                                .schedule_delay = std::chrono::hours(1)});
  processor.OnEnd(SampledSpan());
  processor.OnEnd(SampledSpan());
  processor.OnEnd(SampledSpan());
  processor.OnEnd(SampledSpan());
  stuck->WaitUntilEntered();  // the worker now sits inside Export

  constexpr int kSpans = 10000;
  auto producer = std::async(std::launch::async, [&] {
    for (int i = 0; i < kSpans; ++i) processor.OnEnd(SampledSpan(i));
  });
  ASSERT_EQ(producer.wait_for(std::chrono::seconds(30)),
            std::future_status::ready)
      << "OnEnd blocked on a stuck exporter";
  auto during = processor.stats();
  EXPECT_EQ(during.spans_ended, kSpans + 4u);
  EXPECT_GE(during.spans_dropped,
            kSpans - 8u);  // only the queue's 8 slots could be kept

  stuck->Release();
  ASSERT_TRUE(processor.ForceFlush(SecondsFromNow(10)));
  auto after = processor.stats();
  EXPECT_EQ(after.spans_ended,
            after.spans_exported + after.spans_dropped + after.spans_failed);
  EXPECT_EQ(after.spans_exported, stuck->exported());
  EXPECT_EQ(after.spans_exported, 12u);  // 4 in flight + 8 queued
  ASSERT_TRUE(processor.Shutdown(SecondsFromNow(10)));  // destroys the exporter
}

// Drops are said on stderr, by the worker: once for what the full queue
// turned away while the exporter was stuck, and not again without new ones.
TEST(BatchSpanProcessorTest, TheWorkerReportsDropsOnStderr) {
  auto exporter = std::make_unique<StuckExporter>();
  StuckExporter* stuck = exporter.get();
  ::testing::internal::CaptureStderr();
  {
    BatchSpanProcessor processor(std::move(exporter),
                                 {.max_queue_size = 2,
                                  .max_export_batch_size = 1,
                                  .schedule_delay = std::chrono::hours(1)});
    processor.OnEnd(SampledSpan());
    stuck->WaitUntilEntered();
    for (int i = 0; i < 5; ++i) processor.OnEnd(SampledSpan(i));  // 2 kept
    stuck->Release();
    ASSERT_TRUE(processor.ForceFlush(SecondsFromNow(10)));
    ASSERT_TRUE(processor.Shutdown(SecondsFromNow(10)));
    processor.OnEnd(SampledSpan());  // after Shutdown: counted, not "full"
    EXPECT_EQ(processor.stats().spans_dropped, 4u);
  }
  const std::string said = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(said.find("kafkatrace: the batch span processor dropped 3 spans "
                      "(3 in all): its queue of 2 spans was full. Raise "
                      "OTEL_BSP_MAX_QUEUE_SIZE"),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("dropped", said.find("dropped") + 1), std::string::npos)
      << "reported twice: " << said;
}

TEST(BatchSpanProcessorTest, ShutdownHonoursDeadlineWithStuckExporter) {
  auto exporter = std::make_unique<StuckExporter>();
  StuckExporter* stuck = exporter.get();
  auto processor = std::make_unique<BatchSpanProcessor>(
      std::move(exporter),
      BatchSpanProcessorOptions{
          .max_queue_size = 4,
          .max_export_batch_size = 1,
          .export_timeout = std::chrono::milliseconds(50)});
  processor->OnEnd(SampledSpan());
  stuck->WaitUntilEntered();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(processor->Shutdown(start + std::chrono::milliseconds(100)));
  EXPECT_FALSE(processor->ForceFlush(std::chrono::steady_clock::now() +
                                     std::chrono::milliseconds(10)));
  processor
      .reset();  // must not hang: the stuck worker is detached with its state
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  stuck->Release();  // exporter is owned by the detached worker's state; still
                     // alive
}

// The deadlines Export calls were given; outlives the exporter, which
// Shutdown destroys.
struct RecordedDeadlines {
  std::mutex mutex;
  std::condition_variable added;
  std::vector<Deadline> deadlines;

  // The first `n`, once there were that many.
  std::vector<Deadline> WaitFor(size_t n) {
    std::unique_lock lock(mutex);
    added.wait(lock, [&] { return deadlines.size() >= n; });
    return deadlines;
  }
};

class DeadlineRecordingExporter final : public SpanExporter {
 public:
  explicit DeadlineRecordingExporter(RecordedDeadlines* recorded)
      : recorded_(recorded) {}
  ExportResult Export(std::span<std::unique_ptr<SpanData>>,
                      Deadline deadline) noexcept override {
    std::lock_guard lock(recorded_->mutex);
    recorded_->deadlines.push_back(deadline);
    recorded_->added.notify_all();
    return ExportResult::kSuccess;
  }

 private:
  RecordedDeadlines* recorded_;
};

// An export done because a caller waits (Shutdown, ForceFlush) ends when that
// caller gives up, not only after the export timeout: an OTLP exporter retrying
// an unreachable receiver would otherwise hold an application's exit for that
// long, whatever bound the application gave.
TEST(BatchSpanProcessorTest, ExportsForAWaitingCallerEndByItsDeadline) {
  RecordedDeadlines recorded;
  BatchSpanProcessor processor(
      std::make_unique<DeadlineRecordingExporter>(&recorded),
      BatchSpanProcessorOptions{.schedule_delay = std::chrono::hours(1),
                                .export_timeout = std::chrono::seconds(30)});
  processor.OnEnd(SampledSpan(1));
  const Deadline flush_by = SecondsFromNow(2);
  ASSERT_TRUE(processor.ForceFlush(flush_by));
  EXPECT_EQ(recorded.WaitFor(1).at(0), flush_by);

  processor.OnEnd(SampledSpan(2));
  const Deadline stop_by = SecondsFromNow(1);
  ASSERT_TRUE(processor.Shutdown(stop_by));
  EXPECT_EQ(recorded.WaitFor(2).at(1), stop_by);
}

// ...while an export nobody waits for has the whole export timeout, however
// short an earlier flush's deadline was.
TEST(BatchSpanProcessorTest, ExportsNobodyWaitsForKeepTheExportTimeout) {
  RecordedDeadlines recorded;
  const auto timeout = std::chrono::seconds(30);
  BatchSpanProcessor processor(
      std::make_unique<DeadlineRecordingExporter>(&recorded),
      BatchSpanProcessorOptions{.max_queue_size = 4,
                                .max_export_batch_size = 1,
                                .schedule_delay = std::chrono::hours(1),
                                .export_timeout = timeout});
  processor.OnEnd(SampledSpan(1));
  ASSERT_TRUE(processor.ForceFlush(SecondsFromNow(1)));
  recorded.WaitFor(1);
  const auto before = std::chrono::steady_clock::now();
  processor.OnEnd(SampledSpan(2));  // a full batch: the worker exports it
  const Deadline periodic = recorded.WaitFor(2).at(1);
  EXPECT_GE(periodic, before + timeout);
  EXPECT_LE(periodic, std::chrono::steady_clock::now() + timeout);
}

TEST(BatchSpanProcessorTest, SpansEndedAfterShutdownAreDroppedAndCounted) {
  std::vector<size_t> sizes;
  BatchSpanProcessor processor(std::make_unique<CountingExporter>(&sizes));
  ASSERT_TRUE(processor.Shutdown(SecondsFromNow(10)));
  processor.OnEnd(SampledSpan());
  EXPECT_EQ(processor.stats().spans_dropped, 1u);
  EXPECT_TRUE(processor.Shutdown(SecondsFromNow(1)));  // idempotent
}

TEST(BatchSpanProcessorTest, FullBatchWakesWorkerBeforeScheduleDelay) {
  auto store = std::make_shared<InMemorySpanStore>();
  BatchSpanProcessor processor(std::make_unique<InMemorySpanExporter>(store),
                               {.max_queue_size = 64,
                                .max_export_batch_size = 4,
                                .schedule_delay = std::chrono::hours(1)});
  for (int i = 0; i < 4; ++i) processor.OnEnd(SampledSpan(i));
  // Shutdown would also export; use a bounded poll on the store instead of a
  // flush.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (store->size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(store->size(), 4u);
}

TEST(BatchSpanProcessorTest, ConcurrentProducersBalanceTheBooks) {
  auto store = std::make_shared<InMemorySpanStore>();
  BatchSpanProcessor processor(
      std::make_unique<InMemorySpanExporter>(store),
      {.max_queue_size = 256, .max_export_batch_size = 64});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) processor.OnEnd(SampledSpan(i));
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(processor.Shutdown(SecondsFromNow(30)));
  auto stats = processor.stats();
  EXPECT_EQ(stats.spans_ended, 20000u);
  EXPECT_EQ(stats.spans_exported + stats.spans_dropped, 20000u);
  EXPECT_EQ(store->size(), stats.spans_exported);
}

class BspEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name :
         {"OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
          "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT"}) {
      unsetenv(name);
    }
  }
};

TEST_F(BspEnvTest, ReadsVariables) {
  setenv("OTEL_BSP_MAX_QUEUE_SIZE", "100", 1);
  setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10", 1);
  setenv("OTEL_BSP_SCHEDULE_DELAY", "250", 1);
  setenv("OTEL_BSP_EXPORT_TIMEOUT", "1000", 1);
  auto options = BatchSpanProcessorOptions::FromEnv();
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->max_queue_size, 100u);
  EXPECT_EQ(options->max_export_batch_size, 10u);
  EXPECT_EQ(options->schedule_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(options->export_timeout, std::chrono::milliseconds(1000));
}

TEST_F(BspEnvTest, DefaultsAndErrors) {
  auto defaults = BatchSpanProcessorOptions::FromEnv();
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_queue_size, 2048u);
  EXPECT_EQ(defaults->max_export_batch_size, 512u);
  EXPECT_EQ(defaults->schedule_delay, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults->export_timeout, std::chrono::milliseconds(30000));
  setenv("OTEL_BSP_SCHEDULE_DELAY", "soon", 1);
  auto bad = BatchSpanProcessorOptions::FromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("OTEL_BSP_SCHEDULE_DELAY"),
            std::string::npos);
  unsetenv("OTEL_BSP_SCHEDULE_DELAY");
  setenv("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "5000", 1);
  EXPECT_FALSE(BatchSpanProcessorOptions::FromEnv().ok());
}

}  // namespace
}  // namespace kafkatrace
