#include "kafkatrace/batch_span_processor.h"

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "trace/env.h"
#include "trace/span_data_pool.h"

namespace kafkatrace {

Result<BatchSpanProcessorOptions> BatchSpanProcessorOptions::FromEnv() {
  BatchSpanProcessorOptions options;
  auto queue = env::Uint("OTEL_BSP_MAX_QUEUE_SIZE", options.max_queue_size);
  if (!queue.ok()) return queue.status();
  auto batch = env::Uint("OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
                         options.max_export_batch_size);
  if (!batch.ok()) return batch.status();
  auto delay = env::Millis("OTEL_BSP_SCHEDULE_DELAY", options.schedule_delay);
  if (!delay.ok()) return delay.status();
  auto timeout = env::Millis("OTEL_BSP_EXPORT_TIMEOUT", options.export_timeout);
  if (!timeout.ok()) return timeout.status();
  if (*queue == 0 || *batch == 0) {
    return Status::InvalidArgument(
        "OTEL_BSP_MAX_QUEUE_SIZE and OTEL_BSP_MAX_EXPORT_BATCH_SIZE must be "
        "positive");
  }
  if (*batch > *queue) {
    return Status::InvalidArgument(
        "OTEL_BSP_MAX_EXPORT_BATCH_SIZE (" + std::to_string(*batch) +
        ") must not exceed OTEL_BSP_MAX_QUEUE_SIZE (" + std::to_string(*queue) +
        ")");
  }
  options.max_queue_size = *queue;
  options.max_export_batch_size = *batch;
  options.schedule_delay = *delay;
  options.export_timeout = *timeout;
  return options;
}

struct BatchSpanProcessor::State {
  BatchSpanProcessorOptions options;
  std::unique_ptr<SpanExporter>
      exporter;  // used only by the worker (and after it exits)

  std::mutex mutex;
  std::condition_variable worker_cv;  // wakes the worker
  std::condition_variable caller_cv;  // wakes ForceFlush/Shutdown callers
  std::vector<std::unique_ptr<SpanData>> queue;  // guarded by mutex
  bool worker_waiting = false;                   // guarded by mutex
  bool stopping = false;                         // guarded by mutex
  bool worker_exited = false;                    // guarded by mutex
  uint64_t flush_requested = 0;                  // guarded by mutex
  uint64_t flush_done = 0;                       // guarded by mutex
  // When the callers waiting for the worker give up: the first Shutdown's
  // deadline, and the latest of the pending ForceFlush calls'. The exports
  // done for them end by then, so that an unreachable receiver's retries
  // cannot outlast the caller's bound (an application's exit).
  Deadline stop_deadline = Deadline::max();   // guarded by mutex
  Deadline flush_deadline = Deadline::min();  // guarded by mutex
  std::thread worker;

  // Queue length at which OnEnd yields the CPU once per fill: when the
  // application's threads occupy every core, the woken worker may otherwise
  // wait a whole scheduler slice for one, and the queue overflows meanwhile.
  size_t high_watermark = 0;

  std::atomic<uint64_t> ended{0}, exported{0}, dropped{0}, failed{0};
  // Of `dropped`, those the full queue turned away (the rest ended after
  // Shutdown).
  std::atomic<uint64_t> dropped_queue_full{0};

  // Drops are reported on stderr by the worker, never by OnEnd (the caller's
  // hot path): at most one line per kDropLogInterval, and a last one as the
  // worker exits. A silent drop left a producer at full speed missing a fifth
  // of its spans with nothing said.
  static constexpr std::chrono::seconds kDropLogInterval{10};
  uint64_t drops_logged = 0;                              // worker only
  std::chrono::steady_clock::time_point last_drop_log{};  // worker only

  void Run();
  // Exports by `waited_until` at the latest (see stop_deadline).
  void ExportAll(std::vector<std::unique_ptr<SpanData>>& batch,
                 Deadline waited_until);
  void LogDrops(bool exiting);
};

void BatchSpanProcessor::State::LogDrops(bool exiting) {
  const uint64_t total = dropped_queue_full.load(std::memory_order_relaxed);
  if (total == drops_logged) return;
  const auto now = std::chrono::steady_clock::now();
  if (!exiting && last_drop_log != std::chrono::steady_clock::time_point{} &&
      now - last_drop_log < kDropLogInterval) {
    return;
  }
  std::fprintf(stderr,
               "kafkatrace: the batch span processor dropped %llu spans "
               "(%llu in all): its queue of %zu spans was full. Raise "
               "OTEL_BSP_MAX_QUEUE_SIZE, or sample fewer spans.\n",
               static_cast<unsigned long long>(total - drops_logged),
               static_cast<unsigned long long>(total), options.max_queue_size);
  drops_logged = total;
  last_drop_log = now;
}

void BatchSpanProcessor::State::ExportAll(
    std::vector<std::unique_ptr<SpanData>>& batch, Deadline waited_until) {
  const size_t step = options.max_export_batch_size;
  const bool exports_deferred = exporter->ExportsDeferredAttributes();
  for (size_t i = 0; i < batch.size(); i += step) {
    const std::span chunk(batch.data() + i, std::min(step, batch.size() - i));
    // Attributes the application's thread left to this one: every exporter
    // sees complete spans, unless it writes them from the facts itself (the
    // OTLP exporter: no attribute is built only to be encoded). Chunk by
    // chunk, so that the attribute lists the recycling below keeps serve the
    // next chunk's spans.
    for (const auto& span : chunk) {
      if (!exports_deferred || !detail::DeferredAttributesExact(*span))
        detail::ResolveDeferredAttributes(*span);
    }
    ExportResult result = exporter->Export(
        chunk,
        std::min(std::chrono::steady_clock::now() + options.export_timeout,
                 waited_until));
    (result == ExportResult::kSuccess ? exported : failed)
        .fetch_add(chunk.size(), std::memory_order_relaxed);
    detail::RecycleSpanData(chunk, /*keep_spare_attributes=*/true);
  }
  batch.clear();  // frees what the pool did not take, outside the lock
  // On this thread, not the application's: spans for the next records.
  detail::ReplenishSpanDataPool();
}

void BatchSpanProcessor::State::Run() {
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.reserve(options.max_queue_size);
  std::unique_lock lock(mutex);
  while (true) {
    const auto wake_at =
        std::chrono::steady_clock::now() + options.schedule_delay;
    while (!stopping && flush_requested == flush_done &&
           queue.size() < options.max_export_batch_size) {
      worker_waiting = true;
      if (worker_cv.wait_until(lock, wake_at) == std::cv_status::timeout) break;
    }
    worker_waiting = false;
    const uint64_t flush_target = flush_requested;
    const bool stop = stopping;
    // A periodic export has nobody waiting: only its own timeout bounds it.
    Deadline waited_until = Deadline::min();
    if (stop) waited_until = stop_deadline;
    if (flush_target != flush_done)
      waited_until = std::max(waited_until, flush_deadline);
    if (waited_until == Deadline::min()) waited_until = Deadline::max();
    batch.swap(queue);  // O(1); both vectors keep max_queue_size capacity
    lock.unlock();

    ExportAll(batch, waited_until);
    LogDrops(/*exiting=*/stop);
    if (flush_target != flush_done) {
      (void)exporter->ForceFlush(
          std::min(std::chrono::steady_clock::now() + options.export_timeout,
                   waited_until));
    }

    lock.lock();
    flush_done = flush_target;
    if (flush_done == flush_requested) flush_deadline = Deadline::min();
    if (stop && queue.empty()) {
      worker_exited = true;
      caller_cv.notify_all();
      return;
    }
    caller_cv.notify_all();
  }
}

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter,
                                       BatchSpanProcessorOptions options)
    : state_(std::make_shared<State>()) {
  if (options.max_queue_size == 0) options.max_queue_size = 1;
  if (options.max_export_batch_size == 0 ||
      options.max_export_batch_size > options.max_queue_size) {
    options.max_export_batch_size = options.max_queue_size;
  }
  state_->options = options;
  state_->high_watermark = options.max_queue_size - options.max_queue_size / 4;
  state_->exporter = std::move(exporter);
  state_->queue.reserve(options.max_queue_size);
  state_->worker = std::thread([state = state_] {
    // Named for top -H, perf and debuggers: telemetry's CPU time is visible.
    pthread_setname_np(pthread_self(), "kafkatrace-bsp");
    state->Run();
  });
}

BatchSpanProcessor::~BatchSpanProcessor() {
  Deadline deadline =
      std::chrono::steady_clock::now() + state_->options.export_timeout;
  {
    // After a Shutdown that gave up, waiting again would break its bound.
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) deadline = std::min(deadline, state_->stop_deadline);
  }
  (void)Shutdown(deadline);
  std::unique_lock lock(state_->mutex);
  if (!state_->worker.joinable()) return;
  if (state_->worker_exited) {
    lock.unlock();
    state_->worker.join();
  } else {
    state_->worker
        .detach();  // stuck exporter: the thread owns the state and ends later
  }
}

void BatchSpanProcessor::OnEnd(std::unique_ptr<SpanData> span) noexcept {
  if (!span->context.sampled()) return;
  State& s = *state_;
  s.ended.fetch_add(1, std::memory_order_relaxed);
  bool wake = false, yield = false, full = false;
  {
    std::lock_guard lock(s.mutex);
    full = s.queue.size() >= s.options.max_queue_size;
    if (!s.stopping && !full) {
      s.queue.push_back(
          std::move(span));  // never reallocates: capacity reserved
      if (s.worker_waiting &&
          s.queue.size() >= s.options.max_export_batch_size) {
        s.worker_waiting = false;
        wake = true;
      }
      // Woken earlier but still not running: offer it this core. Not a wait:
      // sched_yield returns at once when nothing else is runnable.
      yield = !s.worker_waiting && s.queue.size() == s.high_watermark;
    }
  }
  if (span) {
    s.dropped.fetch_add(1, std::memory_order_relaxed);
    if (full) s.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
    // Outside the lock; back to this thread's pool, so an overloaded producer
    // does not also pay an allocation per span it is about to start.
    std::unique_ptr<SpanData> dropped[1] = {std::move(span)};
    detail::RecycleSpanData(dropped);
    return;
  }
  if (wake) s.worker_cv.notify_one();
  if (yield) sched_yield();
}

bool BatchSpanProcessor::ForceFlush(Deadline deadline) noexcept {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.worker_exited) return true;
  const uint64_t target = ++s.flush_requested;
  s.flush_deadline = std::max(s.flush_deadline, deadline);
  s.worker_waiting = false;
  s.worker_cv.notify_one();
  return s.caller_cv.wait_until(lock, deadline, [&] {
    return s.flush_done >= target || s.worker_exited;
  });
}

bool BatchSpanProcessor::Shutdown(Deadline deadline) noexcept {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  if (!s.stopping) {
    s.stopping = true;
    s.stop_deadline = deadline;
    s.worker_cv.notify_one();
  }
  if (!s.caller_cv.wait_until(lock, deadline,
                              [&] { return s.worker_exited; })) {
    return false;
  }
  if (s.exporter) {
    auto exporter = std::move(s.exporter);  // shut down exactly once
    lock.unlock();
    return exporter->Shutdown(deadline);
  }
  return true;
}

BatchSpanProcessor::Stats BatchSpanProcessor::stats() const noexcept {
  const State& s = *state_;
  return {s.ended.load(), s.exported.load(), s.dropped.load(), s.failed.load()};
}

}  // namespace kafkatrace
