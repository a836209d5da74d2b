// JsonLinesSpanExporter: writes one JSON object per span per line to a file,
// for scripts and offline inspection. Field names follow OTLP JSON (traceId,
// spanId, parentSpanId, ...). Thread-safety: Export is never called
// concurrently (processor contract).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "kafkatrace/span_exporter.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

class JsonLinesSpanExporter final : public SpanExporter {
 public:
  // Opens `path` for appending; an error names the path and the reason.
  static Result<std::unique_ptr<JsonLinesSpanExporter>> Open(
      const std::string& path);
  ~JsonLinesSpanExporter() override;

  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline deadline) noexcept override;
  bool ForceFlush(Deadline deadline) noexcept override;

  // One span as a single-line JSON object (no trailing newline).
  static std::string ToJson(const SpanData& span);

 private:
  explicit JsonLinesSpanExporter(std::FILE* file) : file_(file) {}
  std::FILE* file_;  // owned
};

}  // namespace kafkatrace
