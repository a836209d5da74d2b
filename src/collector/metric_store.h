// MetricStore: the latest value of every metric series the viewer received,
// in memory. Cumulative points replace a series' value; delta points add to
// it. Bounded: at most kMaxSeries series, later ones dropped and counted.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "collector/otlp_metrics_decoder.h"

namespace kafkatrace::collector {

class MetricStore {
 public:
  static constexpr size_t kMaxSeries = 10000;

  void Add(std::vector<ReceivedMetricPoint> points);
  // Every series, ordered by service, metric name, attributes.
  std::vector<ReceivedMetricPoint> Series() const;
  uint64_t dropped() const;

  // A histogram's q-quantile (0..1), interpolated linearly inside the bucket
  // it falls in; the last bucket, unbounded, gives its lower bound. NaN when
  // the histogram has no buckets or no count.
  static double Quantile(const ReceivedMetricPoint& histogram, double q);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  mutable std::mutex mutex_;
  std::map<Key, ReceivedMetricPoint> series_;
  uint64_t dropped_ = 0;
};

}  // namespace kafkatrace::collector
