// PeriodicMetricReader: exports a MessagingMetrics' snapshot every interval
// from a thread of its own, and once more on Shutdown, so the last
// measurements are not lost when the process ends.
//
// Ownership: owns the exporter; borrows the metrics, which must outlive it
// (and, with delta temporality, have no other reader: it resets them).
// Threading: ForceFlush and Shutdown may be called from any thread; the
// destructor shuts down.
#pragma once

#include <chrono>
#include <memory>

#include "kafkatrace/metrics/messaging_metrics.h"
#include "kafkatrace/metrics/metric_exporter.h"
#include "kafkatrace/resource.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

struct PeriodicMetricReaderOptions {
  // OTEL_METRIC_EXPORT_INTERVAL and OTEL_METRIC_EXPORT_TIMEOUT, the SDK
  // spec's defaults; FromEnv also reads the temporality preference below.
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds timeout{30000};
  // What each export covers. OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE
  // sets it: cumulative (the default), or delta and lowmemory, which for
  // these counters and histograms both mean delta (what Datadog and
  // Dynatrace ask for).
  AggregationTemporality temporality = AggregationTemporality::kCumulative;
  static Result<PeriodicMetricReaderOptions> FromEnv();
};

class PeriodicMetricReader {
 public:
  PeriodicMetricReader(MessagingMetrics& metrics, Resource resource,
                       std::unique_ptr<MetricExporter> exporter,
                       PeriodicMetricReaderOptions options = {});
  ~PeriodicMetricReader();
  PeriodicMetricReader(const PeriodicMetricReader&) = delete;
  PeriodicMetricReader& operator=(const PeriodicMetricReader&) = delete;

  // Exports now and waits for it, at most until `deadline` (default: the
  // options' timeout from now); false if that export failed or the reader is
  // shut down.
  bool ForceFlush();
  bool ForceFlush(Deadline deadline);
  // A last export, then the exporter's shutdown, both by `deadline` (default:
  // the options' timeout from now). Later calls do nothing.
  void Shutdown();
  void Shutdown(Deadline deadline);

  // From OTEL_METRICS_EXPORTER: "otlp" gives a reader that exports over OTLP
  // (OTEL_EXPORTER_OTLP_[METRICS_]* as for spans, to /v1/metrics); "none",
  // or the variable unset, gives null: kafkatrace's metrics are opt-in, as
  // they cost every record a measurement. Any other value is an error naming
  // it. OTEL_SDK_DISABLED=true also gives null.
  static Result<std::unique_ptr<PeriodicMetricReader>> FromEnv(
      MessagingMetrics& metrics, Resource resource);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kafkatrace
