// The pipeline a TracerProvider owns, shared read-only by its tracers and
// spans.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "kafkatrace/clock.h"
#include "kafkatrace/id_generator.h"
#include "kafkatrace/resource.h"
#include "kafkatrace/sampler.h"
#include "kafkatrace/span_data.h"
#include "kafkatrace/span_processor.h"
#include "trace/span_data_pool.h"

namespace kafkatrace::detail {

struct ProviderState {
  Resource resource;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<IdGenerator> id_generator;
  bool trace_ids_are_random = false;          // id_generator's, asked once
  bool sampler_uses_start_attributes = true;  // sampler's, asked once
  // Bit k: the sampler drops every span whose parent is of ParentKind k
  // (Sampler::DropsEverySpan, asked once per kind).
  uint8_t sampler_drops_every_span = 0;
  bool DropsEverySpanWith(const SpanContext& parent) const noexcept {
    const unsigned mask = sampler_drops_every_span;
    // Most samplers drop nothing outright (always_on, traceidratio): one test.
    return mask != 0 && ((mask >> static_cast<int>(ParentKindOf(parent))) & 1);
  }
  // Bit k: the sampler records and samples every span whose parent is of
  // ParentKind k, adding no attributes (Sampler::SamplesEverySpan).
  uint8_t sampler_samples_every_span = 0;
  bool SamplesEverySpanWith(const SpanContext& parent) const noexcept {
    const unsigned mask = sampler_samples_every_span;
    return (mask >> static_cast<int>(ParentKindOf(parent))) & 1;
  }
  // Every processor is a BatchSpanProcessor, which resolves a span's
  // DeferredAttributes on its worker, or there is none (nothing reads a
  // span's attributes at all): instrumentation may defer them.
  bool defer_attributes = false;
  Clock* clock = nullptr;
  SpanLimits limits;
  std::vector<std::unique_ptr<SpanProcessor>> processors;
  std::atomic<bool> shut_down{false};

  void OnStart(SpanData& span, const SpanContext& parent) const noexcept {
    for (const auto& processor : processors) processor->OnStart(span, parent);
  }
  // Each processor but the last gets a copy; the common single-processor case
  // copies nothing.
  void OnEnd(std::unique_ptr<SpanData>&& span) const noexcept {
    if (processors.empty()) {
      // Nowhere to go; recycle rather than free on what may be a foreign
      // thread.
      std::unique_ptr<SpanData> batch[1] = {std::move(span)};
      RecycleSpanData(batch);
      return;
    }
    for (size_t i = 0; i + 1 < processors.size(); ++i) {
      try {
        processors[i]->OnEnd(std::make_unique<SpanData>(*span));
      } catch (...) {  // out of memory: this processor misses the span
      }
    }
    processors.back()->OnEnd(std::move(span));
  }
};

}  // namespace kafkatrace::detail
