#include "collector/metric_store.h"

#include <cmath>
#include <limits>

namespace kafkatrace::collector {

void MetricStore::Add(std::vector<ReceivedMetricPoint> points) {
  std::lock_guard lock(mutex_);
  for (ReceivedMetricPoint& point : points) {
    Key key{point.service, point.name, point.attributes};
    auto it = series_.find(key);
    if (it == series_.end()) {
      if (series_.size() >= kMaxSeries) {
        ++dropped_;
        continue;
      }
      series_.emplace(std::move(key), std::move(point));
      continue;
    }
    ReceivedMetricPoint& kept = it->second;
    if (!point.delta || kept.kind != point.kind ||
        point.kind == ReceivedMetricPoint::Kind::kGauge) {
      kept = std::move(point);  // cumulative, or a gauge: the latest wins
      continue;
    }
    // Delta: add to what the series had.
    kept.value += point.value;
    kept.count += point.count;
    kept.sum += point.sum;
    if (kept.bucket_counts.size() == point.bucket_counts.size() &&
        kept.bounds == point.bounds) {
      for (size_t i = 0; i < kept.bucket_counts.size(); ++i)
        kept.bucket_counts[i] += point.bucket_counts[i];
    } else {
      kept.bounds = point.bounds;
      kept.bucket_counts = point.bucket_counts;
    }
    kept.time_unix_nanos = point.time_unix_nanos;
  }
}

std::vector<ReceivedMetricPoint> MetricStore::Series() const {
  std::lock_guard lock(mutex_);
  std::vector<ReceivedMetricPoint> out;
  out.reserve(series_.size());
  for (const auto& [key, point] : series_) out.push_back(point);
  return out;
}

uint64_t MetricStore::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

double MetricStore::Quantile(const ReceivedMetricPoint& h, double q) {
  uint64_t total = 0;
  for (uint64_t c : h.bucket_counts) total += c;
  if (total == 0 || h.bucket_counts.size() != h.bounds.size() + 1)
    return std::numeric_limits<double>::quiet_NaN();
  const double rank = q * static_cast<double>(total);
  double seen = 0;
  for (size_t i = 0; i < h.bucket_counts.size(); ++i) {
    const auto in_bucket = static_cast<double>(h.bucket_counts[i]);
    if (in_bucket > 0 && seen + in_bucket >= rank) {
      if (i == h.bounds.size()) return h.bounds.empty() ? 0 : h.bounds.back();
      const double lower =
          i == 0 ? std::min(0.0, h.bounds[0]) : h.bounds[i - 1];
      return lower + (h.bounds[i] - lower) * ((rank - seen) / in_bucket);
    }
    seen += in_bucket;
  }
  return h.bounds.empty() ? 0 : h.bounds.back();
}

}  // namespace kafkatrace::collector
