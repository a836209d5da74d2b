// OTLP metrics encoding. Field numbers follow
// opentelemetry/proto/metrics/v1/metrics.proto and
// collector/metrics/v1/metrics_service.proto (public wire format; no
// generated code is used).
#include "otlp/otlp_metrics_encoder.h"

#include <bit>

#include "common/json_writer.h"
#include "otlp/otlp_encoder.h"
#include "otlp/protobuf_writer.h"

namespace kafkatrace::otlp {
namespace {

// AggregationTemporality's numbers.
uint64_t TemporalityOf(const MetricsSnapshot& snapshot) {
  return snapshot.temporality == AggregationTemporality::kDelta ? 1 : 2;
}

// A packed repeated fixed64 or double field: eight little-endian bytes each.
template <typename T>
void PackedField(ProtobufWriter& w, uint32_t field, std::span<const T> values) {
  static_assert(sizeof(T) == 8);
  std::string bytes(values.size() * 8, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    const auto bits = std::bit_cast<uint64_t>(values[i]);
    for (int b = 0; b < 8; ++b)
      bytes[i * 8 + static_cast<size_t>(b)] =
          static_cast<char>(bits >> (8 * b));
  }
  w.BytesField(field, bytes);
}

void WriteMetric(ProtobufWriter& w, const Metric& metric,
                 const MetricsSnapshot& snapshot) {
  const int64_t start = snapshot.start_unix_nanos;
  const int64_t now = snapshot.time_unix_nanos;
  const size_t metric_message = w.BeginMessage(2);  // ScopeMetrics.metrics
  w.BytesField(1, metric.name);
  w.OptionalBytesField(2, metric.description);
  w.OptionalBytesField(3, metric.unit);
  const bool histogram = metric.kind == Metric::Kind::kHistogram;
  const size_t data = w.BeginMessage(histogram ? 9 : 7);  // histogram, sum
  for (const MetricPoint& point : metric.points) {
    const size_t p = w.BeginMessage(1);  // data_points
    EncodeAttributesProtobuf(w, histogram ? 9 : 7, point.attributes);
    w.Fixed64Field(2, static_cast<uint64_t>(start));
    w.Fixed64Field(3, static_cast<uint64_t>(now));
    if (histogram) {
      w.Fixed64Field(4, point.count);
      w.DoubleField(5, point.sum);
      PackedField<uint64_t>(w, 6, point.bucket_counts);
      PackedField<double>(w, 7, metric.bounds);
      w.DoubleField(11, point.min);
      w.DoubleField(12, point.max);
    } else {
      w.Fixed64Field(6, point.count);  // as_int: sfixed64, same bytes
    }
    w.EndMessage(p);
  }
  w.VarintField(2, TemporalityOf(snapshot));  // aggregation_temporality
  if (!histogram) w.VarintField(3, 1);        // is_monotonic
  w.EndMessage(data);
  w.EndMessage(metric_message);
}

void WriteJsonMetric(json::Writer& w, const Metric& metric,
                     const MetricsSnapshot& snapshot) {
  const std::string start = std::to_string(snapshot.start_unix_nanos);
  const std::string now = std::to_string(snapshot.time_unix_nanos);
  const bool histogram = metric.kind == Metric::Kind::kHistogram;
  w.BeginObject()
      .Key("name")
      .String(metric.name)
      .Key("description")
      .String(metric.description)
      .Key("unit")
      .String(metric.unit)
      .Key(histogram ? "histogram" : "sum")
      .BeginObject()
      .Key("dataPoints")
      .BeginArray();
  // 64-bit integers are strings in the proto3 JSON mapping.
  for (const MetricPoint& point : metric.points) {
    w.BeginObject();
    EncodeAttributesJson(w, point.attributes);
    w.Key("startTimeUnixNano").String(start).Key("timeUnixNano").String(now);
    if (histogram) {
      w.Key("count").String(std::to_string(point.count));
      w.Key("sum").Double(point.sum);
      w.Key("bucketCounts").BeginArray();
      for (uint64_t c : point.bucket_counts) w.String(std::to_string(c));
      w.EndArray().Key("explicitBounds").BeginArray();
      for (double b : metric.bounds) w.Double(b);
      w.EndArray();
      w.Key("min").Double(point.min).Key("max").Double(point.max);
    } else {
      w.Key("asInt").String(std::to_string(point.count));
    }
    w.EndObject();
  }
  w.EndArray()
      .Key("aggregationTemporality")
      .Int(static_cast<int64_t>(TemporalityOf(snapshot)));
  if (!histogram) w.Key("isMonotonic").Bool(true);
  w.EndObject().EndObject();
}

}  // namespace

void EncodeMetricsProtobuf(const MetricsSnapshot& snapshot,
                           const Resource& resource, std::string& out) {
  ProtobufWriter w;
  const size_t resource_metrics = w.BeginMessage(1);
  const size_t resource_message = w.BeginMessage(1);
  EncodeAttributesProtobuf(w, 1, resource.attributes());
  w.EndMessage(resource_message);
  const size_t scope_metrics = w.BeginMessage(2);
  const size_t scope = w.BeginMessage(1);
  w.OptionalBytesField(1, snapshot.scope.name);
  w.OptionalBytesField(2, snapshot.scope.version);
  w.EndMessage(scope);
  for (const Metric& metric : snapshot.metrics)
    WriteMetric(w, metric, snapshot);
  w.OptionalBytesField(3, snapshot.scope.schema_url);
  w.EndMessage(scope_metrics);
  w.EndMessage(resource_metrics);
  out.append(w.view());
}

void EncodeMetricsJson(const MetricsSnapshot& snapshot,
                       const Resource& resource, std::string& out) {
  json::Writer w(out);
  w.BeginObject().Key("resourceMetrics").BeginArray().BeginObject();
  w.Key("resource").BeginObject();
  EncodeAttributesJson(w, resource.attributes());
  w.EndObject();
  w.Key("scopeMetrics").BeginArray().BeginObject();
  w.Key("scope").BeginObject().Key("name").String(snapshot.scope.name);
  if (!snapshot.scope.version.empty())
    w.Key("version").String(snapshot.scope.version);
  w.EndObject();
  w.Key("metrics").BeginArray();
  for (const Metric& metric : snapshot.metrics)
    WriteJsonMetric(w, metric, snapshot);
  w.EndArray();
  if (!snapshot.scope.schema_url.empty())
    w.Key("schemaUrl").String(snapshot.scope.schema_url);
  w.EndObject().EndArray();
  w.EndObject().EndArray().EndObject();
}

size_t DataPointCount(const MetricsSnapshot& snapshot) {
  size_t count = 0;
  for (const Metric& metric : snapshot.metrics) count += metric.points.size();
  return count;
}

}  // namespace kafkatrace::otlp
