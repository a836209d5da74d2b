// Field numbers follow opentelemetry/proto/metrics/v1/metrics.proto and
// collector/metrics/v1/metrics_service.proto (public wire format).
#include "collector/otlp_metrics_decoder.h"

#include <bit>
#include <nlohmann/json.hpp>

#include "collector/otlp_decoder.h"
#include "otlp/protobuf_reader.h"

namespace kafkatrace::collector {
namespace {

using Reader = otlp::ProtobufReader;
using Kind = ReceivedMetricPoint::Kind;
constexpr uint64_t kDelta = 1;  // AggregationTemporality

// Packed repeated fixed64 / double: eight little-endian bytes each.
bool ReadPacked(std::string_view bytes, std::vector<uint64_t>& out) {
  if (bytes.size() % 8 != 0) return false;
  for (size_t i = 0; i < bytes.size(); i += 8) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b)
      v = (v << 8) |
          static_cast<unsigned char>(bytes[i + static_cast<size_t>(b)]);
    out.push_back(v);
  }
  return true;
}

// One NumberDataPoint or HistogramDataPoint into `point` (its metric's fields
// already set).
bool ReadDataPoint(std::string_view bytes, ReceivedMetricPoint& point,
                   std::string& error) {
  const bool histogram = point.kind == Kind::kHistogram;
  const uint32_t attributes_field = histogram ? 9 : 7;
  std::string_view attributes;
  std::vector<uint64_t> bounds;
  Reader r(bytes);
  uint32_t field, type;
  while (r.Next(field, type)) {
    if (field == attributes_field && type == 2) {
      attributes = bytes;  // read below, as a whole list
      (void)r.Bytes();
    } else if (field == 2 && type == 1) {
      point.start_unix_nanos = static_cast<int64_t>(r.Fixed64());
    } else if (field == 3 && type == 1) {
      point.time_unix_nanos = static_cast<int64_t>(r.Fixed64());
    } else if (!histogram && field == 4 && type == 1) {
      point.value = std::bit_cast<double>(r.Fixed64());
    } else if (!histogram && field == 6 && type == 1) {
      point.value = static_cast<double>(static_cast<int64_t>(r.Fixed64()));
    } else if (histogram && field == 4 && type == 1) {
      point.count = r.Fixed64();
    } else if (histogram && field == 5 && type == 1) {
      point.sum = std::bit_cast<double>(r.Fixed64());
    } else if (histogram && field == 6 && type == 2) {
      if (!ReadPacked(r.Bytes(), point.bucket_counts)) {
        error = "malformed bucket_counts";
        return false;
      }
    } else if (histogram && field == 7 && type == 2) {
      if (!ReadPacked(r.Bytes(), bounds)) {
        error = "malformed explicit_bounds";
        return false;
      }
    } else {
      r.Skip(type);
    }
  }
  if (!r.ok()) {
    error = r.error();
    return false;
  }
  for (uint64_t b : bounds) point.bounds.push_back(std::bit_cast<double>(b));
  if (histogram && !point.bucket_counts.empty() &&
      point.bucket_counts.size() != point.bounds.size() + 1) {
    error = "a histogram needs one bucket count more than its bounds";
    return false;
  }
  if (!attributes.empty() &&
      !ReadAttributesProtobuf(attributes, attributes_field, point.attributes,
                              nullptr, error)) {
    return false;
  }
  if (point.attributes.empty()) point.attributes = "{}";
  return true;
}

bool ReadMetric(std::string_view bytes, const std::string& service,
                DecodedMetrics& out, std::string& error) {
  ReceivedMetricPoint base;
  base.service = service;
  std::string_view data;
  uint32_t data_field = 0;
  Reader r(bytes);
  uint32_t field, type;
  while (r.Next(field, type)) {
    if (field == 1 && type == 2) {
      base.name = std::string(r.Bytes());
    } else if (field == 3 && type == 2) {
      base.unit = std::string(r.Bytes());
    } else if ((field == 5 || field == 7 || field == 9 || field == 10 ||
                field == 11) &&
               type == 2) {
      data = r.Bytes();
      data_field = field;
    } else {
      r.Skip(type);
    }
  }
  if (!r.ok()) {
    error = r.error();
    return false;
  }
  if (data_field == 0) return true;  // no data
  base.kind = data_field == 9   ? Kind::kHistogram
              : data_field == 5 ? Kind::kGauge
                                : Kind::kSum;
  // Temporality first: it may follow the points.
  Reader first(data);
  while (first.Next(field, type)) {
    if (field == 2 && type == 0 && (data_field == 7 || data_field == 9)) {
      base.delta = first.Varint() == kDelta;
    } else {
      first.Skip(type);
    }
  }
  Reader points(data);
  while (points.Next(field, type)) {
    if (field != 1 || type != 2) {
      points.Skip(type);
      continue;
    }
    std::string_view point_bytes = points.Bytes();
    if (data_field == 10 || data_field == 11) {
      ++out.skipped;  // exponential histogram, summary
      continue;
    }
    ReceivedMetricPoint point = base;
    if (!ReadDataPoint(point_bytes, point, error)) return false;
    out.points.push_back(std::move(point));
  }
  if (!points.ok()) error = points.error();
  return points.ok();
}

}  // namespace

Result<DecodedMetrics> DecodeOtlpMetricsProtobuf(std::string_view body) {
  DecodedMetrics decoded;
  std::string error;
  Reader request(body);
  uint32_t field, type;
  while (request.Next(field, type)) {
    if (field != 1 || type != 2) {
      request.Skip(type);
      continue;
    }
    const std::string_view resource_metrics = request.Bytes();
    std::string service;
    Reader first(resource_metrics);
    uint32_t f, t;
    while (first.Next(f, t)) {
      if (f == 1 && t == 2) {
        std::string ignored;
        if (!ReadAttributesProtobuf(first.Bytes(), 1, ignored, &service, error))
          return Status::InvalidArgument("malformed resource: " + error);
      } else {
        first.Skip(t);
      }
    }
    Reader rm(resource_metrics);
    while (rm.Next(f, t)) {
      if (f != 2 || t != 2) {
        rm.Skip(t);
        continue;
      }
      Reader sm(rm.Bytes());
      uint32_t sf, st;
      while (sm.Next(sf, st)) {
        if (sf == 2 && st == 2) {
          if (!ReadMetric(sm.Bytes(), service, decoded, error))
            return Status::InvalidArgument("malformed metric: " + error);
        } else {
          sm.Skip(st);
        }
      }
      if (!sm.ok())
        return Status::InvalidArgument("malformed ScopeMetrics: " + sm.error());
    }
    if (!first.ok() || !rm.ok()) {
      return Status::InvalidArgument("malformed ResourceMetrics: " +
                                     (first.ok() ? rm.error() : first.error()));
    }
  }
  if (!request.ok())
    return Status::InvalidArgument("malformed request: " + request.error());
  return decoded;
}

namespace {

using json = nlohmann::json;

double JsonDouble(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_string())
    return std::strtod(v.get_ref<const std::string&>().c_str(), nullptr);
  return 0;
}

}  // namespace

Result<DecodedMetrics> DecodeOtlpMetricsJson(std::string_view body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object())
    return Status::InvalidArgument("the body is not a JSON object");
  DecodedMetrics decoded;
  try {
    auto array = [](const json& holder, const char* key) -> const json& {
      static const json kEmpty = json::array();
      auto it = holder.find(key);
      if (it == holder.end()) return kEmpty;
      if (!it->is_array())
        throw std::invalid_argument(std::string(key) + " is not an array");
      return *it;
    };
    for (const json& rm : array(parsed, "resourceMetrics")) {
      std::string service, ignored;
      if (auto resource = rm.find("resource"); resource != rm.end()) {
        if (!ReadAttributesJson(*resource, ignored, &service))
          return Status::InvalidArgument("malformed resource attributes");
      }
      for (const json& sm : array(rm, "scopeMetrics")) {
        for (const json& metric : array(sm, "metrics")) {
          ReceivedMetricPoint base;
          base.service = service;
          base.name = metric.value("name", "");
          base.unit = metric.value("unit", "");
          const json* data = nullptr;
          for (const auto& [key, kind] :
               {std::pair{"sum", Kind::kSum}, std::pair{"gauge", Kind::kGauge},
                std::pair{"histogram", Kind::kHistogram}}) {
            if (auto it = metric.find(key); it != metric.end()) {
              data = &*it;
              base.kind = kind;
            }
          }
          if (data == nullptr) {
            for (const char* key : {"exponentialHistogram", "summary"}) {
              if (auto it = metric.find(key); it != metric.end())
                decoded.skipped +=
                    static_cast<int64_t>(array(*it, "dataPoints").size());
            }
            continue;
          }
          if (auto t = data->find("aggregationTemporality"); t != data->end())
            base.delta = ReadJsonInt(*t) == static_cast<int64_t>(kDelta);
          for (const json& p : array(*data, "dataPoints")) {
            ReceivedMetricPoint point = base;
            if (!ReadAttributesJson(p, point.attributes, nullptr))
              return Status::InvalidArgument("malformed data point attributes");
            if (auto v = p.find("startTimeUnixNano"); v != p.end())
              point.start_unix_nanos = ReadJsonInt(*v);
            if (auto v = p.find("timeUnixNano"); v != p.end())
              point.time_unix_nanos = ReadJsonInt(*v);
            if (base.kind == Kind::kHistogram) {
              if (auto v = p.find("count"); v != p.end())
                point.count = static_cast<uint64_t>(ReadJsonInt(*v));
              if (auto v = p.find("sum"); v != p.end())
                point.sum = JsonDouble(*v);
              for (const json& b : array(p, "explicitBounds"))
                point.bounds.push_back(JsonDouble(b));
              for (const json& c : array(p, "bucketCounts"))
                point.bucket_counts.push_back(
                    static_cast<uint64_t>(ReadJsonInt(c)));
              if (!point.bucket_counts.empty() &&
                  point.bucket_counts.size() != point.bounds.size() + 1) {
                return Status::InvalidArgument(
                    "a histogram needs one bucket count more than its bounds");
              }
            } else if (auto v = p.find("asInt"); v != p.end()) {
              point.value = static_cast<double>(ReadJsonInt(*v));
            } else if (auto d = p.find("asDouble"); d != p.end()) {
              point.value = JsonDouble(*d);
            }
            decoded.points.push_back(std::move(point));
          }
        }
      }
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed metrics: ") +
                                   e.what());
  }
  return decoded;
}

}  // namespace kafkatrace::collector
