// MetricExporter: sends a snapshot of metrics somewhere (OTLP, memory). A
// PeriodicMetricReader calls Export from its own thread, never concurrently.
#pragma once

#include "kafkatrace/metrics/metric_data.h"
#include "kafkatrace/resource.h"
#include "kafkatrace/span_exporter.h"  // Deadline, ExportResult

namespace kafkatrace {

class MetricExporter {
 public:
  virtual ~MetricExporter() = default;
  // `resource` describes the process; the metrics are kafkatrace's own
  // instrumentation scope's.
  virtual ExportResult Export(const MetricsSnapshot& snapshot,
                              const Resource& resource,
                              Deadline deadline) noexcept = 0;
  virtual bool Shutdown(Deadline /*deadline*/) noexcept { return true; }
};

}  // namespace kafkatrace
