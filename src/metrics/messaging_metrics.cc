#include "kafkatrace/metrics/messaging_metrics.h"

#include <algorithm>
#include <array>
#include <cstring>
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

// A series' six texts, each after a two-byte length, in one buffer: one
// compare and one hash per lookup, and a key that fits a cache line or two.
// Texts longer than 65,535 bytes are cut there (no Kafka name is that long).
class KeyText {
 public:
  explicit KeyText(const MessagingMetricAttributes& a) {
    for (std::string_view text :
         {a.operation_name, a.operation_type, a.destination, a.consumer_group,
          a.error_type, a.server_address}) {
      text = text.substr(0, 0xffff);
      const char length[2] = {static_cast<char>(text.size() >> 8),
                              static_cast<char>(text.size() & 0xff)};
      Append(std::string_view(length, 2));
      Append(text);
    }
  }
  KeyText(const KeyText&) = delete;
  KeyText& operator=(const KeyText&) = delete;
  std::string_view view() const {
    return heap_.empty() ? std::string_view(inline_, size_)
                         : std::string_view(heap_);
  }

 private:
  void Append(std::string_view bytes) {
    if (bytes.empty()) return;  // an empty view's data may be null
    if (heap_.empty() && size_ + bytes.size() <= sizeof(inline_)) {
      std::memcpy(inline_ + size_, bytes.data(), bytes.size());
      size_ += bytes.size();
      return;
    }
    if (heap_.empty()) heap_.assign(inline_, size_);
    heap_.append(bytes);
  }
  char inline_[256];
  size_t size_ = 0;
  std::string heap_;  // past 256 bytes
};

// What a lookup compares: the key text and the two numbers.
struct LookupKey {
  std::string_view text;
  int32_t partition, server_port;
};

struct SeriesKey {
  std::string text;
  int32_t partition, server_port;
  LookupKey view() const { return {text, partition, server_port}; }
  // The six texts back, in KeyText's order.
  std::array<std::string_view, 6> Texts() const {
    std::array<std::string_view, 6> out;
    size_t at = 0;
    for (auto& field : out) {
      const size_t length =
          (static_cast<size_t>(static_cast<unsigned char>(text[at])) << 8) |
          static_cast<unsigned char>(text[at + 1]);
      field = std::string_view(text).substr(at + 2, length);
      at += 2 + length;
    }
    return out;
  }
};

// Heterogeneous lookup: a measurement finds its series by a view, so
// recording into an existing series allocates nothing.
struct SeriesHash {
  using is_transparent = void;
  size_t operator()(const LookupKey& k) const noexcept {
    return std::hash<std::string_view>()(k.text) ^
           (static_cast<size_t>(static_cast<uint32_t>(k.partition)) << 20) ^
           static_cast<size_t>(static_cast<uint32_t>(k.server_port));
  }
  size_t operator()(const SeriesKey& k) const noexcept {
    return (*this)(k.view());
  }
};

struct SeriesEqual {
  using is_transparent = void;
  static bool Same(const LookupKey& a, const LookupKey& b) noexcept {
    return a.partition == b.partition && a.server_port == b.server_port &&
           a.text == b.text;
  }
  bool operator()(const SeriesKey& a, const SeriesKey& b) const noexcept {
    return Same(a.view(), b.view());
  }
  bool operator()(const LookupKey& a, const SeriesKey& b) const noexcept {
    return Same(a, b.view());
  }
  bool operator()(const SeriesKey& a, const LookupKey& b) const noexcept {
    return Same(a.view(), b);
  }
};

struct Histogram {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  std::array<uint64_t, kBounds.size() + 1> buckets{};

  void Add(double value) {
    ++count;
    sum += value;
    min = std::min(min, value);
    max = std::max(max, value);
    // Bucket i holds (bounds[i-1], bounds[i]]: the first bound >= value.
    ++buckets[static_cast<size_t>(
        std::lower_bound(kBounds.begin(), kBounds.end(), value) -
        kBounds.begin())];
  }
};

// Everything measured under one attribute set: a send's count and duration
// share one lookup.
struct SeriesData {
  uint64_t sent = 0, consumed = 0;
  Histogram operation, process;
};

// A map node's value: the data, and its key's six texts, viewed once.
struct Series {
  std::array<std::string_view, 6> texts;  // of the node's own key
  SeriesData data;
};

// The operation name first: the consumer's two sets (poll, process) differ
// there. (string_view's == never hands memcmp an empty view: glibc's AVX-512
// memcmp reads a null view's address under an empty mask, a microcode assist
// of hundreds of cycles.)
bool Matches(const MessagingMetricAttributes& a, const SeriesKey& key,
             const std::array<std::string_view, 6>& t) {
  return a.partition == key.partition && a.server_port == key.server_port &&
         a.operation_name == t[0] && a.destination == t[2] &&
         a.server_address == t[5] && a.operation_type == t[1] &&
         a.consumer_group == t[3] && a.error_type == t[4];
}

// The data point's attributes, in the conventions' names.
Attributes AttributesOf(const SeriesKey& series) {
  const auto texts = series.Texts();
  const MessagingMetricAttributes a{.operation_name = texts[0],
                                    .operation_type = texts[1],
                                    .destination = texts[2],
                                    .partition = series.partition,
                                    .consumer_group = texts[3],
                                    .error_type = texts[4],
                                    .server_address = texts[5],
                                    .server_port = series.server_port};
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

// Every series, under one lock: a measurement is one lookup and a few adds.
class MessagingMetrics::Table {
 public:
  explicit Table(size_t limit) : limit_(limit) {}

  // Calls `update` on the series of `attributes` under the lock.
  template <typename Update>
  void Record(const MessagingMetricAttributes& attributes,
              Update&& update) noexcept {
    try {
      std::lock_guard lock(mutex_);
      // A client records under a few attribute sets over and over: compare
      // with the latest ones before building a key and hashing it.
      for (const Recent& recent : recent_) {
        if (recent.key != nullptr &&
            Matches(attributes, *recent.key, recent.series->texts)) {
          update(recent.series->data);
          return;
        }
      }
      const KeyText text(attributes);
      const LookupKey key{text.view(), attributes.partition,
                          attributes.server_port};
      auto it = series_.find(key);
      if (it == series_.end() && series_.size() < limit_) {
        it = series_
                 .try_emplace(SeriesKey{std::string(key.text), key.partition,
                                        key.server_port})
                 .first;
        it->second.texts = it->first.Texts();  // the node's key stays put
      }
      if (it != series_.end()) {
        recent_[recent_next_] = {&it->first, &it->second};
        recent_next_ = (recent_next_ + 1) % recent_.size();
        update(it->second.data);
      } else {
        if (!overflow_) overflow_.emplace();
        update(*overflow_);
        overflowed_.fetch_add(1, std::memory_order_relaxed);
      }
    } catch (...) {
      // Only a failed allocation of a new series: that measurement is lost,
      // and counted.
      overflowed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // Calls `visit(key, data)` for every series (`key` null for the overflow
  // series), then, with `reset`, zeroes their aggregates; all under the lock.
  template <typename Visit>
  void VisitAll(bool reset, Visit&& visit) {
    std::lock_guard lock(mutex_);
    for (auto& [key, series] : series_) {
      visit(&key, series.data);
      if (reset) series.data = SeriesData{};
    }
    if (overflow_) {
      visit(static_cast<const SeriesKey*>(nullptr), *overflow_);
      if (reset) *overflow_ = SeriesData{};
    }
  }

  uint64_t overflowed() const noexcept {
    return overflowed_.load(std::memory_order_relaxed);
  }

 private:
  const size_t limit_;
  mutable std::mutex mutex_;
  // Nodes are never erased: the views in recent_ stay valid.
  std::unordered_map<SeriesKey, Series, SeriesHash, SeriesEqual> series_;
  struct Recent {
    const SeriesKey* key = nullptr;
    Series* series = nullptr;
  };
  std::array<Recent, 4> recent_{};
  size_t recent_next_ = 0;
  std::optional<SeriesData> overflow_;
  std::atomic<uint64_t> overflowed_{0};
};

namespace {

std::optional<MetricPoint> CounterPoint(uint64_t value) {
  if (value == 0) return std::nullopt;
  return MetricPoint{.attributes = {},
                     .count = value,
                     .sum = 0,
                     .min = 0,
                     .max = 0,
                     .bucket_counts = {}};
}

std::optional<MetricPoint> HistogramPoint(const Histogram& h) {
  if (h.count == 0) return std::nullopt;
  return MetricPoint{.attributes = {},
                     .count = h.count,
                     .sum = h.sum,
                     .min = h.min,
                     .max = h.max,
                     .bucket_counts = {h.buckets.begin(), h.buckets.end()}};
}

Metric Described(std::string_view name, std::string_view description,
                 std::string_view unit, Metric::Kind kind) {
  Metric metric{.name = name,
                .description = description,
                .unit = unit,
                .kind = kind,
                .bounds = {},
                .points = {}};
  if (kind == Metric::Kind::kHistogram) metric.bounds = kBounds;
  return metric;
}

}  // namespace

MessagingMetrics::MessagingMetrics(size_t cardinality_limit)
    : start_unix_nanos_(SystemClock::Instance().NowNanos()),
      last_delta_unix_nanos_(start_unix_nanos_),
      table_(std::make_unique<Table>(cardinality_limit)) {}

MessagingMetrics::~MessagingMetrics() = default;

void MessagingMetrics::RecordOperationDuration(
    const MessagingMetricAttributes& attributes, double seconds) noexcept {
  table_->Record(attributes,
                 [seconds](SeriesData& d) { d.operation.Add(seconds); });
}
void MessagingMetrics::RecordSentMessages(
    const MessagingMetricAttributes& attributes, uint64_t count) noexcept {
  table_->Record(attributes, [count](SeriesData& d) { d.sent += count; });
}
void MessagingMetrics::RecordConsumedMessages(
    const MessagingMetricAttributes& attributes, uint64_t count) noexcept {
  table_->Record(attributes, [count](SeriesData& d) { d.consumed += count; });
}
void MessagingMetrics::RecordProcessDuration(
    const MessagingMetricAttributes& attributes, double seconds) noexcept {
  table_->Record(attributes,
                 [seconds](SeriesData& d) { d.process.Add(seconds); });
}
void MessagingMetrics::RecordSend(const MessagingMetricAttributes& attributes,
                                  double seconds) noexcept {
  table_->Record(attributes, [seconds](SeriesData& d) {
    ++d.sent;
    if (seconds >= 0) d.operation.Add(seconds);
  });
}
void MessagingMetrics::RecordReceive(
    const MessagingMetricAttributes& attributes, uint64_t count,
    double seconds) noexcept {
  table_->Record(attributes, [count, seconds](SeriesData& d) {
    d.consumed += count;
    if (seconds >= 0) d.operation.Add(seconds);
  });
}

MetricsSnapshot MessagingMetrics::Collect(AggregationTemporality temporality) {
  const bool delta = temporality == AggregationTemporality::kDelta;
  MetricsSnapshot snapshot;
  snapshot.scope = {std::string(kafka::kInstrumentationName),
                    KAFKATRACE_VERSION, std::string(kafka::kSemconvSchemaUrl)};
  snapshot.temporality = temporality;
  snapshot.time_unix_nanos = SystemClock::Instance().NowNanos();
  snapshot.start_unix_nanos =
      delta ? last_delta_unix_nanos_ : start_unix_nanos_;
  if (delta) last_delta_unix_nanos_ = snapshot.time_unix_nanos;
  using Kind = Metric::Kind;
  std::array<Metric, 4> metrics = {
      Described("messaging.client.operation.duration",
                "Duration of messaging operation initiated by a producer or "
                "consumer client.",
                "s", Kind::kHistogram),
      Described("messaging.client.sent.messages",
                "Number of messages producer attempted to send to the broker.",
                "{message}", Kind::kMonotonicCounter),
      Described("messaging.client.consumed.messages",
                "Number of messages that were delivered to the application.",
                "{message}", Kind::kMonotonicCounter),
      Described("messaging.process.duration",
                "Duration of processing operation.", "s", Kind::kHistogram)};
  table_->VisitAll(
      delta, [&metrics](const SeriesKey* key, const SeriesData& data) {
        std::optional<Attributes> attributes;  // built once, if a part has data
        auto add = [&](Metric& metric, std::optional<MetricPoint> point) {
          if (!point) return;
          if (!attributes) {
            attributes = key != nullptr
                             ? AttributesOf(*key)
                             : Attributes{{"otel.metric.overflow", true}};
          }
          point->attributes = *attributes;
          metric.points.push_back(std::move(*point));
        };
        add(metrics[0], HistogramPoint(data.operation));
        add(metrics[1], CounterPoint(data.sent));
        add(metrics[2], CounterPoint(data.consumed));
        add(metrics[3], HistogramPoint(data.process));
      });
  for (Metric& metric : metrics) {
    if (!metric.points.empty()) snapshot.metrics.push_back(std::move(metric));
  }
  return snapshot;
}

uint64_t MessagingMetrics::overflowed() const noexcept {
  return table_->overflowed();
}

}  // namespace kafkatrace
