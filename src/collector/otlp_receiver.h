// The OTLP/HTTP trace receiver's protocol, apart from the HTTP server that
// carries it: which encoding a request uses, what is stored, and the response
// OTLP/HTTP prescribes, always in the request's own encoding:
//  - success: 200 with an ExportTraceServiceResponse, whose partial_success
//    counts the spans rejected one by one (bad ids, broken attributes) while
//    the valid spans of the same request are kept;
//  - a body that cannot be read: 400 with a google.rpc.Status (not retryable);
//  - the store failing: 503 with a google.rpc.Status (the sender retries);
//  - an unknown Content-Type: 415, in plain text, as no OTLP encoding applies;
//  - metrics (ReceiveOtlpMetrics): kept in a MetricStore, for the viewer's
//    metrics table;
//  - logs: 404, as this receiver stores none.
// Thread-safe as far as the SpanStore is (SpanStore::Insert serializes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collector/metric_store.h"
#include "collector/span_store.h"

namespace kafkatrace::collector {

enum class OtlpEncoding { kProtobuf, kJson };

// application/x-protobuf or application/json, with or without parameters,
// in any letter case; nullopt for anything else.
std::optional<OtlpEncoding> OtlpEncodingOf(std::string_view content_type);

struct OtlpReply {
  int status = 200;
  std::string content_type;
  std::string body;
};

// What one ExportTraceServiceRequest came to, whatever carried it (OTLP/HTTP
// or OTLP/gRPC).
struct OtlpTraceOutcome {
  // google.rpc.Code: 0 stored; 3 (INVALID_ARGUMENT) the request cannot be
  // read, not worth retrying; 14 (UNAVAILABLE) the store failed, retry.
  int32_t code = 0;
  // With a failure, why; with success, the partial success's error_message
  // (empty when every span was kept).
  std::string message;
  int64_t rejected_spans = 0;  // spans left out one by one, with code 0
};

// Decodes one request and stores its valid spans; they are committed when
// this returns code 0.
OtlpTraceOutcome StoreOtlpTraces(OtlpEncoding encoding, std::string_view body,
                                 SpanStore& store);

// Answers one POST of an ExportTraceServiceRequest to /v1/traces. Spans are
// acknowledged (200) only once the store has committed them.
OtlpReply ReceiveOtlpTraces(std::string_view content_type,
                            std::string_view body, SpanStore& store);

// The same for an ExportMetricsServiceRequest: its points go to `store`;
// rejected_spans counts the data points of kinds not kept.
OtlpTraceOutcome StoreOtlpMetrics(OtlpEncoding encoding, std::string_view body,
                                  MetricStore& store);

// Answers one POST of an ExportMetricsServiceRequest to /v1/metrics: the
// points go to `store`; kinds the store does not keep (exponential
// histograms, summaries) are reported as a partial success.
OtlpReply ReceiveOtlpMetrics(std::string_view content_type,
                             std::string_view body, MetricStore& store);

// Answers a POST of metrics or logs (`signal`: "metrics", "logs"): 404 with a
// reason that says how to turn that signal off in an OpenTelemetry SDK, which
// sends all three to the same endpoint by default.
OtlpReply RefuseOtlpSignal(std::string_view content_type,
                           std::string_view signal);

// Why metrics or logs are refused, and how to stop the sender sending them.
std::string TracesOnlyMessage(std::string_view signal);

// A failure found before the body reaches ReceiveOtlpTraces (the HTTP layer:
// an undecodable compressed body, one too large, an unknown path or
// Content-Encoding), as a google.rpc.Status in the request's encoding
// (protobuf when it has none).
OtlpReply FailOtlpRequest(std::string_view content_type, int status,
                          std::string_view message);

// The response bodies, for the receiver and for tests of senders.
// `rejected_name`: the count's JSON name, "rejectedDataPoints" in an
// ExportMetricsServiceResponse (whose protobuf layout is the same).
std::string ExportTraceResponseBody(
    OtlpEncoding encoding, int64_t rejected_spans,
    std::string_view error_message,
    std::string_view rejected_name = "rejectedSpans");
// google.rpc.Status; `code` is a google.rpc.Code (3 INVALID_ARGUMENT,
// 14 UNAVAILABLE).
std::string RpcStatusBody(OtlpEncoding encoding, int32_t code,
                          std::string_view message);

}  // namespace kafkatrace::collector
