// Fuzzes the collector's OTLP decoders (spans and metrics), which read
// whatever reaches the receiver's port, and the exporter's readers of what a
// receiver answers. The
// first byte picks the encoding ('J': OTLP/JSON, anything else: protobuf).
// Checks invariants, not just crashes: every span kept has valid ids, its JSON
// columns parse, and rejections are counted with a reason.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "collector/metric_store.h"
#include "collector/otlp_decoder.h"
#include "collector/otlp_metrics_decoder.h"
#include "otlp/otlp_encoder.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool LowerHexNotAllZero(const std::string& s, size_t size) {
  if (s.size() != size) return false;
  bool nonzero = false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    nonzero |= c != '0';
  }
  return nonzero;
}

bool ParsesAsJson(const std::string& s) {
  return !nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false)
              .is_discarded();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using kafkatrace::collector::DecodeOtlpJson;
  using kafkatrace::collector::DecodeOtlpProtobuf;
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1,
                              size - 1);
  const bool json = data[0] == 'J';
  // The exporter's side: responses are untrusted too.
  (void)kafkatrace::otlp::DecodeStatusMessage(body, json);
  if (auto partial = json ? kafkatrace::otlp::DecodeResponseJson(body)
                          : kafkatrace::otlp::DecodeResponseProtobuf(body)) {
    Check(partial->error_message.size() <= body.size());
  }
  // The same bytes as a metrics request: kept points are well formed, and the
  // store and its quantiles take them.
  auto metrics = json ? kafkatrace::collector::DecodeOtlpMetricsJson(body)
                      : kafkatrace::collector::DecodeOtlpMetricsProtobuf(body);
  if (metrics.ok()) {
    Check(metrics->skipped >= 0);
    for (const auto& point : metrics->points) {
      Check(ParsesAsJson(point.attributes));
      Check(point.bucket_counts.empty() ||
            point.bucket_counts.size() == point.bounds.size() + 1);
      (void)kafkatrace::collector::MetricStore::Quantile(point, 0.99);
    }
    kafkatrace::collector::MetricStore store;
    store.Add(std::move(metrics->points));
    Check(store.Series().size() <=
          kafkatrace::collector::MetricStore::kMaxSeries);
  } else {
    Check(!metrics.status().message().empty());
  }
  auto decoded = json ? DecodeOtlpJson(body) : DecodeOtlpProtobuf(body);
  if (!decoded.ok()) {
    const std::string& reason = decoded.status().message();
    Check(!reason.empty());
    Check(!reason.starts_with(kafkatrace::collector::kUnexpectedJson));
    return 0;
  }
  Check(decoded->rejected >= 0);
  Check((decoded->rejected == 0) == decoded->rejection.empty());
  for (const auto& span : decoded->spans) {
    Check(LowerHexNotAllZero(span.trace_id, 32));
    Check(LowerHexNotAllZero(span.span_id, 16));
    Check(span.parent_span_id.empty() ||
          LowerHexNotAllZero(span.parent_span_id, 16));
    Check(ParsesAsJson(span.attributes_json));
    Check(ParsesAsJson(span.events_json));
    Check(ParsesAsJson(span.links_json));
  }
  return 0;
}
