// What a metric reader hands an exporter: every series of every instrument,
// aggregated since the instruments were created (cumulative temporality) or
// since the previous collection (delta). Plain values; the exporter may keep
// or move them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/span_data.h"  // InstrumentationScope

namespace kafkatrace {

// One series: the aggregate of the measurements that share its attributes.
struct MetricPoint {
  Attributes attributes;
  // Counter: the running total. Histogram: how many measurements.
  uint64_t count = 0;
  // Histogram only.
  double sum = 0, min = 0, max = 0;
  std::vector<uint64_t> bucket_counts;  // one more than the bounds
};

struct Metric {
  enum class Kind { kMonotonicCounter, kHistogram };
  // Views of static text: instrument names, descriptions and units are
  // constants.
  std::string_view name, description, unit;
  Kind kind = Kind::kMonotonicCounter;
  // Histogram only: bucket i holds values in (bounds[i-1], bounds[i]]; the
  // last bucket everything above the last bound.
  std::span<const double> bounds;
  std::vector<MetricPoint> points;
};

// OTLP's AggregationTemporality: what a point's values cover.
enum class AggregationTemporality { kCumulative, kDelta };

struct MetricsSnapshot {
  InstrumentationScope scope;  // whose instruments these are
  AggregationTemporality temporality = AggregationTemporality::kCumulative;
  // When aggregation began: the instruments' creation (cumulative) or the
  // previous delta collection.
  int64_t start_unix_nanos = 0;
  int64_t time_unix_nanos = 0;  // when this snapshot was taken
  std::vector<Metric> metrics;  // only instruments with at least one series
};

}  // namespace kafkatrace
