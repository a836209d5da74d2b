#include "kafkatrace/otlp/otlp_metric_exporter.h"

#include <atomic>

#include "otlp/otlp_metrics_encoder.h"
#include "otlp/otlp_sender.h"

namespace kafkatrace {

struct OtlpMetricExporter::Impl {
  explicit Impl(OtlpHttpExporterOptions options)
      : sender(std::move(options), OtlpSignal::kMetrics, "data points") {}
  otlp::OtlpSender sender;
  std::atomic<uint64_t> exported{0}, rejected{0}, failed{0};
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
    const otlp::OtlpSender::Delivery delivery =
        s.sender.Send(std::move(body), points, deadline);
    if (delivery.delivered) {
      s.rejected += delivery.rejected;
      s.exported += points - delivery.rejected;
      return ExportResult::kSuccess;
    }
  } catch (...) {
  }
  s.failed += points;
  return ExportResult::kFailure;
}

bool OtlpMetricExporter::Shutdown(Deadline) noexcept {
  impl_->sender.Shutdown();
  return true;
}

OtlpMetricExporter::Stats OtlpMetricExporter::stats() const noexcept {
  return {impl_->exported.load(), impl_->rejected.load(), impl_->failed.load()};
}

}  // namespace kafkatrace
