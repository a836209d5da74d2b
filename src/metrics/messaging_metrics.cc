#include "kafkatrace/metrics/messaging_metrics.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "kafka/semconv.h"
#include "kafkatrace/clock.h"
#include "kafkatrace/kafka/instrumentation_scope.h"

namespace kafkatrace {
namespace {

constexpr std::array<double, 14> kBounds = {
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10};

// A series' attributes, owned: the map's key.
struct SeriesKey {
  std::string operation_name, operation_type, destination, consumer_group,
      error_type, server_address;
  int32_t partition = -1, server_port = -1;

  explicit SeriesKey(const MessagingMetricAttributes& a)
      : operation_name(a.operation_name),
        operation_type(a.operation_type),
        destination(a.destination),
        consumer_group(a.consumer_group),
        error_type(a.error_type),
        server_address(a.server_address),
        partition(a.partition),
        server_port(a.server_port) {}
  MessagingMetricAttributes view() const {
    return {operation_name, operation_type, destination,    partition,
            consumer_group, error_type,     server_address, server_port};
  }
};

// Heterogeneous lookup: a measurement finds its series by views, so recording
// into an existing series allocates nothing.
struct SeriesHash {
  using is_transparent = void;
  size_t operator()(const MessagingMetricAttributes& a) const noexcept {
    size_t h = std::hash<std::string_view>()(a.destination);
    for (std::string_view s :
         {a.operation_name, a.operation_type, a.consumer_group, a.error_type,
          a.server_address}) {
      h = h * 31 + std::hash<std::string_view>()(s);
    }
    return h * 31 +
           static_cast<size_t>(static_cast<uint32_t>(a.partition)) * 1000003 +
           static_cast<size_t>(static_cast<uint32_t>(a.server_port));
  }
  size_t operator()(const SeriesKey& k) const noexcept {
    return (*this)(k.view());
  }
};

struct SeriesEqual {
  using is_transparent = void;
  static bool Same(const MessagingMetricAttributes& a,
                   const MessagingMetricAttributes& b) noexcept {
    return a.partition == b.partition && a.server_port == b.server_port &&
           a.destination == b.destination &&
           a.operation_name == b.operation_name &&
           a.operation_type == b.operation_type &&
           a.consumer_group == b.consumer_group &&
           a.error_type == b.error_type && a.server_address == b.server_address;
  }
  bool operator()(const SeriesKey& a, const SeriesKey& b) const noexcept {
    return Same(a.view(), b.view());
  }
  bool operator()(const MessagingMetricAttributes& a,
                  const SeriesKey& b) const noexcept {
    return Same(a, b.view());
  }
  bool operator()(const SeriesKey& a,
                  const MessagingMetricAttributes& b) const noexcept {
    return Same(a.view(), b);
  }
};

struct Aggregate {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::array<uint64_t, kBounds.size() + 1> buckets{};
};

// The data point's attributes, in the conventions' names.
Attributes AttributesOf(const MessagingMetricAttributes& a) {
  Attributes out;
  out.emplace_back(kafka::semconv::kMessagingSystem, std::string("kafka"));
  auto text = [&out](const char* key, std::string_view value) {
    if (!value.empty()) out.emplace_back(key, std::string(value));
  };
  text(kafka::semconv::kOperationName, a.operation_name);
  text(kafka::semconv::kOperationType, a.operation_type);
  text(kafka::semconv::kDestinationName, a.destination);
  if (a.partition >= 0)
    out.emplace_back(kafka::semconv::kPartitionId, std::to_string(a.partition));
  text(kafka::semconv::kConsumerGroup, a.consumer_group);
  text(kafka::semconv::kErrorType, a.error_type);
  text(kafka::semconv::kServerAddress, a.server_address);
  if (a.server_port >= 0)
    out.emplace_back(kafka::semconv::kServerPort, int64_t{a.server_port});
  return out;
}

}  // namespace

const std::span<const double> MessagingMetrics::kDurationBounds = kBounds;

class MessagingMetrics::Instrument {
 public:
  Instrument(std::string_view name, std::string_view description,
             std::string_view unit, Metric::Kind kind, size_t limit)
      : name_(name),
        description_(description),
        unit_(unit),
        kind_(kind),
        limit_(limit) {}

  void Record(const MessagingMetricAttributes& attributes, double value,
              uint64_t count) noexcept {
    try {
      std::lock_guard lock(mutex_);
      Aggregate* aggregate = nullptr;
      if (auto it = series_.find(attributes); it != series_.end()) {
        aggregate = &it->second;
      } else if (series_.size() < limit_) {
        aggregate = &series_.try_emplace(SeriesKey(attributes)).first->second;
      } else {
        if (!overflow_) overflow_.emplace();
        aggregate = &*overflow_;
        overflowed_.fetch_add(1, std::memory_order_relaxed);
      }
      if (kind_ == Metric::Kind::kMonotonicCounter) {
        aggregate->count += count;
        return;
      }
      ++aggregate->count;
      aggregate->sum += value;
      aggregate->min = std::min(aggregate->min, value);
      aggregate->max = std::max(aggregate->max, value);
      // Bucket i holds (bounds[i-1], bounds[i]]: the first bound >= value.
      const auto bucket = static_cast<size_t>(
          std::lower_bound(kBounds.begin(), kBounds.end(), value) -
          kBounds.begin());
      ++aggregate->buckets[bucket];
    } catch (...) {
      // Only a failed allocation of a new series: that measurement is lost,
      // and counted.
      overflowed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void CollectInto(std::vector<Metric>& out) const {
    Metric metric{.name = name_,
                  .description = description_,
                  .unit = unit_,
                  .kind = kind_,
                  .bounds = {},
                  .points = {}};
    if (kind_ == Metric::Kind::kHistogram) metric.bounds = kBounds;
    auto point_of = [&](Attributes attributes, const Aggregate& a) {
      MetricPoint point{.attributes = std::move(attributes),
                        .count = a.count,
                        .sum = 0,
                        .min = 0,
                        .max = 0,
                        .bucket_counts = {}};
      if (kind_ == Metric::Kind::kHistogram) {
        point.sum = a.sum;
        point.min = a.min;
        point.max = a.max;
        point.bucket_counts.assign(a.buckets.begin(), a.buckets.end());
      }
      return point;
    };
    std::lock_guard lock(mutex_);
    for (const auto& [key, aggregate] : series_)
      metric.points.push_back(point_of(AttributesOf(key.view()), aggregate));
    if (overflow_) {
      metric.points.push_back(
          point_of(Attributes{{"otel.metric.overflow", true}}, *overflow_));
    }
    if (!metric.points.empty()) out.push_back(std::move(metric));
  }

  uint64_t overflowed() const noexcept {
    return overflowed_.load(std::memory_order_relaxed);
  }

 private:
  const std::string_view name_, description_, unit_;
  const Metric::Kind kind_;
  const size_t limit_;
  mutable std::mutex mutex_;
  std::unordered_map<SeriesKey, Aggregate, SeriesHash, SeriesEqual> series_;
  std::optional<Aggregate> overflow_;
  std::atomic<uint64_t> overflowed_{0};
};

MessagingMetrics::MessagingMetrics(size_t cardinality_limit)
    : start_unix_nanos_(SystemClock::Instance().NowNanos()),
      operation_duration_(std::make_unique<Instrument>(
          "messaging.client.operation.duration",
          "Duration of messaging operation initiated by a producer or "
          "consumer client.",
          "s", Metric::Kind::kHistogram, cardinality_limit)),
      sent_(std::make_unique<Instrument>(
          "messaging.client.sent.messages",
          "Number of messages producer attempted to send to the broker.",
          "{message}", Metric::Kind::kMonotonicCounter, cardinality_limit)),
      consumed_(std::make_unique<Instrument>(
          "messaging.client.consumed.messages",
          "Number of messages that were delivered to the application.",
          "{message}", Metric::Kind::kMonotonicCounter, cardinality_limit)),
      process_duration_(std::make_unique<Instrument>(
          "messaging.process.duration", "Duration of processing operation.",
          "s", Metric::Kind::kHistogram, cardinality_limit)) {}

MessagingMetrics::~MessagingMetrics() = default;

void MessagingMetrics::RecordOperationDuration(
    const MessagingMetricAttributes& attributes, double seconds) noexcept {
  operation_duration_->Record(attributes, seconds, 1);
}
void MessagingMetrics::RecordSentMessages(
    const MessagingMetricAttributes& attributes, uint64_t count) noexcept {
  sent_->Record(attributes, 0, count);
}
void MessagingMetrics::RecordConsumedMessages(
    const MessagingMetricAttributes& attributes, uint64_t count) noexcept {
  consumed_->Record(attributes, 0, count);
}
void MessagingMetrics::RecordProcessDuration(
    const MessagingMetricAttributes& attributes, double seconds) noexcept {
  process_duration_->Record(attributes, seconds, 1);
}

MetricsSnapshot MessagingMetrics::Collect() const {
  MetricsSnapshot snapshot;
  snapshot.scope = {std::string(kafka::kInstrumentationName),
                    KAFKATRACE_VERSION, std::string(kafka::kSemconvSchemaUrl)};
  snapshot.start_unix_nanos = start_unix_nanos_;
  snapshot.time_unix_nanos = SystemClock::Instance().NowNanos();
  for (const Instrument* instrument :
       {operation_duration_.get(), sent_.get(), consumed_.get(),
        process_duration_.get()}) {
    instrument->CollectInto(snapshot.metrics);
  }
  return snapshot;
}

uint64_t MessagingMetrics::overflowed() const noexcept {
  return operation_duration_->overflowed() + sent_->overflowed() +
         consumed_->overflowed() + process_duration_->overflowed();
}

}  // namespace kafkatrace
