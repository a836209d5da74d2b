// OtlpMetricExporter: sends metrics snapshots to any OTLP backend, with the
// same transports, TLS, compression, retries and failure log as
// OtlpHttpExporter (it shares their code): POST to the endpoint (by default
// http://localhost:4318/v1/metrics) in protobuf or OTLP/JSON, or the gRPC
// call MetricsService/Export.
//
// Threading: Export is called by one reader thread at a time; stats() and
// Shutdown() from any thread.
#pragma once

#include <cstdint>
#include <memory>

#include "kafkatrace/metrics/metric_exporter.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"  // OtlpHttpExporterOptions
#include "kafkatrace/status.h"

namespace kafkatrace {

class OtlpMetricExporter final : public MetricExporter {
 public:
  struct Stats {
    uint64_t points_exported = 0;  // data points the backend accepted
    uint64_t points_rejected = 0;  // reported rejected (partial success)
    uint64_t points_failed = 0;    // in requests that could not be delivered
  };

  // `options.endpoint` is the full URL for OTLP/HTTP: see
  // OtlpHttpExporterOptions::FromEnv(OtlpSignal::kMetrics).
  static Result<std::unique_ptr<OtlpMetricExporter>> Create(
      OtlpHttpExporterOptions options);
  ~OtlpMetricExporter() override;

  ExportResult Export(const MetricsSnapshot& snapshot, const Resource& resource,
                      Deadline deadline) noexcept override;
  bool Shutdown(Deadline deadline) noexcept override;
  Stats stats() const noexcept;

 private:
  struct Impl;
  explicit OtlpMetricExporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kafkatrace
