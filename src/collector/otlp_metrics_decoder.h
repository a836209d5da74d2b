// Decodes OTLP ExportMetricsServiceRequest bodies (protobuf or OTLP/JSON)
// into data points, for the viewer's metrics table. Sums, gauges and
// explicit-bucket histograms are read; exponential histograms and summaries
// are counted as skipped. Input is untrusted: malformed input is an error,
// never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafkatrace/status.h"

namespace kafkatrace::collector {

struct ReceivedMetricPoint {
  enum class Kind { kSum, kGauge, kHistogram };
  std::string service;  // the resource's service.name
  std::string name, unit;
  Kind kind = Kind::kSum;
  bool delta = false;      // AGGREGATION_TEMPORALITY_DELTA (else cumulative)
  std::string attributes;  // a JSON object's text
  int64_t start_unix_nanos = 0, time_unix_nanos = 0;
  double value = 0;    // sum and gauge
  uint64_t count = 0;  // histogram
  double sum = 0;      // histogram
  std::vector<double> bounds;
  std::vector<uint64_t> bucket_counts;
};

struct DecodedMetrics {
  std::vector<ReceivedMetricPoint> points;
  int64_t skipped = 0;  // data points of kinds not read
};

Result<DecodedMetrics> DecodeOtlpMetricsProtobuf(std::string_view body);
Result<DecodedMetrics> DecodeOtlpMetricsJson(std::string_view body);

}  // namespace kafkatrace::collector
