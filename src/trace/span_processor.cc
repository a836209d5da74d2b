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
  // No deadline: the caller is blocked either way, and reading a clock per span
  // costs.
  (void)exporter_->Export(batch, Deadline::max());
  detail::RecycleSpanData(batch);
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
