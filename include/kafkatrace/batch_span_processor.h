// BatchSpanProcessor: queues ended spans and exports them in batches from one
// worker thread. OnEnd never blocks and never waits on the exporter: when the
// bounded queue is full the span is dropped and counted. Accounting is exact:
// after Shutdown, spans_ended == spans_exported + spans_dropped + spans_failed.
// Drops are reported on stderr by the worker thread (at most one line per 10
// s, and one at shutdown), never by OnEnd.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "kafkatrace/span_processor.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

struct BatchSpanProcessorOptions {
  // Spans held at most; beyond it OnEnd drops (OTEL_BSP_MAX_QUEUE_SIZE, default
  // 2048).
  size_t max_queue_size = 2048;
  // Spans per Export call (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512).
  size_t max_export_batch_size = 512;
  // Longest a span waits before export when the queue is quiet
  // (OTEL_BSP_SCHEDULE_DELAY, 5000 ms).
  std::chrono::milliseconds schedule_delay{5000};
  // Deadline given to each Export call (OTEL_BSP_EXPORT_TIMEOUT, default 30000
  // ms); one done for a ForceFlush or Shutdown caller gets that caller's
  // deadline when it is sooner.
  std::chrono::milliseconds export_timeout{30000};

  // Reads the OTEL_BSP_* variables over the defaults; malformed values are
  // errors.
  static Result<BatchSpanProcessorOptions> FromEnv();
};

class BatchSpanProcessor final : public SpanProcessor {
 public:
  struct Stats {
    uint64_t spans_ended = 0;     // sampled spans handed to OnEnd
    uint64_t spans_exported = 0;  // in batches the exporter accepted
    uint64_t spans_dropped = 0;   // queue full, or ended after Shutdown
    uint64_t spans_failed = 0;    // in batches the exporter rejected
  };

  BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                     BatchSpanProcessorOptions options = {});
  // Shuts down with the export timeout as deadline. If the exporter is stuck
  // past it, the worker thread is left to finish on its own (it owns its
  // state), so this never hangs.
  ~BatchSpanProcessor() override;

  void OnStart(SpanData&, const SpanContext&) noexcept override {}
  void OnEnd(std::unique_ptr<SpanData> span) noexcept override;
  bool ForceFlush(Deadline deadline) noexcept override;
  bool Shutdown(Deadline deadline) noexcept override;

  Stats stats() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;  // shared with the worker thread
};

}  // namespace kafkatrace
