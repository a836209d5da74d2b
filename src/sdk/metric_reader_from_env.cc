// PeriodicMetricReader from OTEL_* variables: here, on top, because it picks
// the exporter.
#include "kafkatrace/metrics/periodic_metric_reader.h"
#include "kafkatrace/otlp/otlp_metric_exporter.h"
#include "trace/env.h"

namespace kafkatrace {

Result<PeriodicMetricReaderOptions> PeriodicMetricReaderOptions::FromEnv() {
  PeriodicMetricReaderOptions options;
  for (auto [name, field] :
       {std::pair{"OTEL_METRIC_EXPORT_INTERVAL", &options.interval},
        std::pair{"OTEL_METRIC_EXPORT_TIMEOUT", &options.timeout}}) {
    auto value = env::Millis(name, *field);
    if (!value.ok()) return value.status();
    if (value->count() <= 0) {
      return Status::InvalidArgument(std::string(name) +
                                     " must be a positive number of ms");
    }
    *field = *value;
  }
  const char* kPreference = "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE";
  if (auto v = env::Get(kPreference)) {
    const std::string preference = env::Lowercase(*v);
    if (preference == "delta" || preference == "lowmemory") {
      options.temporality = AggregationTemporality::kDelta;
    } else if (preference != "cumulative") {
      return Status::InvalidArgument(std::string(kPreference) + "=\"" + *v +
                                     "\": expected cumulative, delta or "
                                     "lowmemory");
    }
  }
  return options;
}

Result<std::unique_ptr<PeriodicMetricReader>> PeriodicMetricReader::FromEnv(
    MessagingMetrics& metrics, Resource resource) {
  auto disabled = env::Bool("OTEL_SDK_DISABLED", false);
  if (!disabled.ok()) return disabled.status();
  const std::string exporter =
      env::Lowercase(env::Get("OTEL_METRICS_EXPORTER").value_or("none"));
  if (*disabled || exporter == "none")
    return std::unique_ptr<PeriodicMetricReader>();
  if (exporter != "otlp") {
    return Status::InvalidArgument("OTEL_METRICS_EXPORTER=\"" + exporter +
                                   "\": expected otlp or none");
  }
  auto reader_options = PeriodicMetricReaderOptions::FromEnv();
  if (!reader_options.ok()) return reader_options.status();
  auto otlp_options = OtlpHttpExporterOptions::FromEnv(OtlpSignal::kMetrics);
  if (!otlp_options.ok()) return otlp_options.status();
  auto otlp = OtlpMetricExporter::Create(std::move(*otlp_options));
  if (!otlp.ok()) return otlp.status();
  return std::make_unique<PeriodicMetricReader>(
      metrics, std::move(resource), std::move(otlp.value()), *reader_options);
}

}  // namespace kafkatrace
