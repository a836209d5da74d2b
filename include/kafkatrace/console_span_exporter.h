// ConsoleSpanExporter: prints each span as a short human-readable block, for
// development (OTEL_TRACES_EXPORTER=console). Thread-safety: Export is never
// called concurrently.
#pragma once

#include <ostream>

#include "kafkatrace/span_exporter.h"

namespace kafkatrace {

class ConsoleSpanExporter final : public SpanExporter {
 public:
  // `out` is borrowed and must outlive the exporter (default std::cout).
  explicit ConsoleSpanExporter(std::ostream* out = nullptr);
  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline deadline) noexcept override;

 private:
  std::ostream* out_;
};

}  // namespace kafkatrace
