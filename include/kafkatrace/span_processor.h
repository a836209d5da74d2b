// SpanProcessor: the hook between span start/end and exporters.
// SimpleSpanProcessor exports each span synchronously as it ends (tests,
// debugging); BatchSpanProcessor (batch_span_processor.h) is the one for
// production. Thread-safety: OnStart/OnEnd are called concurrently from any
// thread.
#pragma once

#include <memory>
#include <mutex>

#include "kafkatrace/span_data.h"
#include "kafkatrace/span_exporter.h"

namespace kafkatrace {

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  // Called when a recording span starts; may add attributes.
  virtual void OnStart(SpanData& span, const SpanContext& parent) noexcept = 0;
  // Called once when a recording span ends; takes ownership.
  virtual void OnEnd(std::unique_ptr<SpanData> span) noexcept = 0;
  // Exports everything already ended; false if `deadline` passed first.
  virtual bool ForceFlush(Deadline deadline) noexcept = 0;
  // Flushes, then stops accepting spans; false if `deadline` passed first.
  virtual bool Shutdown(Deadline deadline) noexcept = 0;
};

// Exports every sampled span on the thread that ends it, one at a time under a
// mutex. Blocks the caller for the duration of the export: not for production
// hot paths.
class SimpleSpanProcessor final : public SpanProcessor {
 public:
  explicit SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter);
  void OnStart(SpanData&, const SpanContext&) noexcept override {}
  void OnEnd(std::unique_ptr<SpanData> span) noexcept override;
  bool ForceFlush(Deadline deadline) noexcept override;
  bool Shutdown(Deadline deadline) noexcept override;

 private:
  std::mutex mutex_;
  std::unique_ptr<SpanExporter> exporter_;  // guarded by mutex_
  bool shut_down_ = false;                  // guarded by mutex_
};

}  // namespace kafkatrace
