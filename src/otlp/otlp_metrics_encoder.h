// Encodes a metrics snapshot as an OTLP ExportMetricsServiceRequest, in
// protobuf or in OTLP/JSON: counters as monotonic cumulative Sums of integers,
// histograms as cumulative explicit-bucket Histograms with min and max.
#pragma once

#include <string>

#include "kafkatrace/metrics/metric_data.h"
#include "kafkatrace/resource.h"

namespace kafkatrace::otlp {

void EncodeMetricsProtobuf(const MetricsSnapshot& snapshot,
                           const Resource& resource, std::string& out);
void EncodeMetricsJson(const MetricsSnapshot& snapshot,
                       const Resource& resource, std::string& out);
// How many data points a request for `snapshot` holds.
size_t DataPointCount(const MetricsSnapshot& snapshot);

}  // namespace kafkatrace::otlp
