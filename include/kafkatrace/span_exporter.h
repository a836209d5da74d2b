// SpanExporter: sends finished, sampled spans somewhere (OTLP, a file, the
// console, memory). Export is never called concurrently with itself; processors
// guarantee that.
#pragma once

#include <chrono>
#include <memory>
#include <span>

#include "kafkatrace/span_data.h"

namespace kafkatrace {

using Deadline = std::chrono::steady_clock::time_point;

enum class ExportResult { kSuccess, kFailure };

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  // Exports a batch before `deadline`. The exporter may move spans out of the
  // batch.
  virtual ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                              Deadline deadline) noexcept = 0;
  virtual bool ForceFlush(Deadline /*deadline*/) noexcept { return true; }
  // Internal to kafkatrace (its OTLP exporter): true if Export writes the
  // attributes a span's `deferred` facts stand for itself, so that the batch
  // processor leaves them as facts where they are DeferredAttributesExact.
  // Other exporters keep the default and receive every attribute written.
  virtual bool ExportsDeferredAttributes() const noexcept { return false; }
  virtual bool Shutdown(Deadline /*deadline*/) noexcept { return true; }
};

}  // namespace kafkatrace
