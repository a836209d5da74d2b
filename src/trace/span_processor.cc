#include "kafkatrace/span_processor.h"

#include "trace/span_data_pool.h"

namespace kafkatrace {

SimpleSpanProcessor::SimpleSpanProcessor(std::unique_ptr<SpanExporter> exporter)
    : exporter_(std::move(exporter)) {}

void SimpleSpanProcessor::OnEnd(std::unique_ptr<SpanData> span) noexcept {
  if (!span->context.sampled()) return;
  std::lock_guard lock(mutex_);
  if (shut_down_) return;
  std::unique_ptr<SpanData> batch[1] = {std::move(span)};
  (void)exporter_->Export(
      batch, std::chrono::steady_clock::now() + std::chrono::seconds(30));
}

bool SimpleSpanProcessor::ForceFlush(Deadline deadline) noexcept {
  std::lock_guard lock(mutex_);
  return shut_down_ || exporter_->ForceFlush(deadline);
}

bool SimpleSpanProcessor::Shutdown(Deadline deadline) noexcept {
  std::lock_guard lock(mutex_);
  if (shut_down_) return true;
  shut_down_ = true;
  return exporter_->Shutdown(deadline);
}

}  // namespace kafkatrace
