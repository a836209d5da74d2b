#include "kafkatrace/otlp/otlp_metric_exporter.h"

#include "otlp/otlp_metrics_encoder.h"
#include "otlp/otlp_sender.h"

namespace kafkatrace {

struct OtlpMetricExporter::Impl {
  explicit Impl(OtlpHttpExporterOptions options)
      : sender(std::move(options), OtlpSignal::kMetrics, "data points") {}
  otlp::OtlpSender sender;
};

OtlpMetricExporter::OtlpMetricExporter(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
OtlpMetricExporter::~OtlpMetricExporter() = default;

Result<std::unique_ptr<OtlpMetricExporter>> OtlpMetricExporter::Create(
    OtlpHttpExporterOptions options) {
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return std::unique_ptr<OtlpMetricExporter>(
      new OtlpMetricExporter(std::make_unique<Impl>(std::move(options))));
}

ExportResult OtlpMetricExporter::Export(const MetricsSnapshot& snapshot,
                                        const Resource& resource,
                                        Deadline deadline) noexcept {
  Impl& s = *impl_;
  const size_t points = otlp::DataPointCount(snapshot);
  if (points == 0) return ExportResult::kSuccess;
  try {
    std::string body;
    if (s.sender.json()) {
      otlp::EncodeMetricsJson(snapshot, resource, body);
    } else {
      otlp::EncodeMetricsProtobuf(snapshot, resource, body);
    }
    return s.sender.Send(std::move(body), points, deadline).delivered
               ? ExportResult::kSuccess
               : ExportResult::kFailure;
  } catch (...) {
    s.sender.CountFailed(points);
    return ExportResult::kFailure;
  }
}

bool OtlpMetricExporter::Shutdown(Deadline) noexcept {
  impl_->sender.Shutdown();
  return true;
}

OtlpMetricExporter::Stats OtlpMetricExporter::stats() const noexcept {
  const otlp::OtlpSender& sender = impl_->sender;
  return {sender.items_exported(), sender.items_rejected(),
          sender.items_failed()};
}

}  // namespace kafkatrace
