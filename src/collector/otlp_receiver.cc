#include "collector/otlp_receiver.h"

#include "collector/otlp_decoder.h"
#include "collector/otlp_metrics_decoder.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "kafkatrace/propagation/text_map_carrier.h"  // EqualsIgnoreAsciiCase
#include "otlp/grpc_framing.h"                        // grpc_code
#include "otlp/protobuf_writer.h"

namespace kafkatrace::collector {
namespace {

using otlp::grpc_code::kInvalidArgument;  // google.rpc.Code
using otlp::grpc_code::kOk;
using otlp::grpc_code::kUnavailable;
using otlp::grpc_code::kUnimplemented;

const char* MediaType(OtlpEncoding encoding) {
  return encoding == OtlpEncoding::kJson ? "application/json"
                                         : "application/x-protobuf";
}

OtlpReply Failure(OtlpEncoding encoding, int status, int32_t code,
                  std::string_view message) {
  return {status, MediaType(encoding), RpcStatusBody(encoding, code, message)};
}

}  // namespace

std::optional<OtlpEncoding> OtlpEncodingOf(std::string_view content_type) {
  const std::string_view media =
      text::TrimOws(content_type.substr(0, content_type.find(';')));
  if (EqualsIgnoreAsciiCase(media, "application/x-protobuf"))
    return OtlpEncoding::kProtobuf;
  if (EqualsIgnoreAsciiCase(media, "application/json"))
    return OtlpEncoding::kJson;
  return std::nullopt;
}

std::string ExportTraceResponseBody(OtlpEncoding encoding,
                                    int64_t rejected_spans,
                                    std::string_view error_message,
                                    std::string_view rejected_name) {
  const bool partial = rejected_spans != 0 || !error_message.empty();
  if (encoding == OtlpEncoding::kJson) {
    std::string body;
    json::Writer w(body);
    w.BeginObject();
    if (partial) {
      // proto3's JSON mapping writes 64-bit integers as strings.
      w.Key("partialSuccess").BeginObject();
      w.Key(rejected_name).String(std::to_string(rejected_spans));
      w.Key("errorMessage").String(error_message).EndObject();
    }
    w.EndObject();
    return body;
  }
  if (!partial) return {};  // an empty message: everything accepted
  otlp::ProtobufWriter w;
  const size_t partial_success = w.BeginMessage(1);
  w.OptionalVarintField(1, static_cast<uint64_t>(rejected_spans));
  w.OptionalBytesField(2, error_message);
  w.EndMessage(partial_success);
  return std::string(w.view());
}

std::string RpcStatusBody(OtlpEncoding encoding, int32_t code,
                          std::string_view message) {
  if (encoding == OtlpEncoding::kJson) {
    std::string body;
    json::Writer w(body);
    w.BeginObject().Key("code").Int(code);
    w.Key("message").String(message).EndObject();
    return body;
  }
  otlp::ProtobufWriter w;
  // int32 fields are varints of the value sign-extended to 64 bits.
  w.OptionalVarintField(1, static_cast<uint64_t>(int64_t{code}));
  w.OptionalBytesField(2, message);
  return std::string(w.view());
}

OtlpTraceOutcome StoreOtlpTraces(OtlpEncoding encoding, std::string_view body,
                                 SpanStore& store) {
  auto decoded = encoding == OtlpEncoding::kJson ? DecodeOtlpJson(body)
                                                 : DecodeOtlpProtobuf(body);
  if (!decoded.ok()) return {kInvalidArgument, decoded.status().message()};
  if (!decoded->spans.empty()) {
    if (Status s = store.Insert(decoded->spans); !s.ok())
      return {kUnavailable, "cannot store spans: " + s.message()};
  }
  OtlpTraceOutcome outcome;
  outcome.rejected_spans = decoded->rejected;
  if (decoded->rejected != 0) {
    outcome.message =
        std::to_string(decoded->rejected) + " of " +
        std::to_string(decoded->rejected +
                       static_cast<int64_t>(decoded->spans.size())) +
        " spans rejected; the first: " + decoded->rejection;
  }
  return outcome;
}

OtlpTraceOutcome StoreOtlpMetrics(OtlpEncoding encoding, std::string_view body,
                                  MetricStore& store) {
  auto decoded = encoding == OtlpEncoding::kJson
                     ? DecodeOtlpMetricsJson(body)
                     : DecodeOtlpMetricsProtobuf(body);
  if (!decoded.ok()) return {kInvalidArgument, decoded.status().message()};
  OtlpTraceOutcome outcome;
  outcome.rejected_spans = decoded->skipped;
  if (decoded->skipped != 0)
    outcome.message = "exponential histograms and summaries are not stored";
  store.Add(std::move(decoded->points));
  return outcome;
}

namespace {

// One OTLP/HTTP export request: its encoding from the Content-Type, `store`
// keeping what it holds, and the answer in the request's own encoding.
// `rejected_name`: the JSON name of the partial success's count.
template <typename Store>
OtlpReply Receive(std::string_view content_type, std::string_view body,
                  std::string_view rejected_name, Store&& store) {
  const std::optional<OtlpEncoding> encoding = OtlpEncodingOf(content_type);
  if (!encoding) {
    return {
        415, "text/plain; charset=utf-8",
        "Content-Type must be application/x-protobuf or application/json\n"};
  }
  const OtlpTraceOutcome outcome = store(*encoding, body);
  switch (outcome.code) {
    case kOk:
      return {200, MediaType(*encoding),
              ExportTraceResponseBody(*encoding, outcome.rejected_spans,
                                      outcome.message, rejected_name)};
    case kUnavailable:
      return Failure(*encoding, 503, outcome.code, outcome.message);
    default:
      return Failure(*encoding, 400, outcome.code, outcome.message);
  }
}

}  // namespace

OtlpReply ReceiveOtlpTraces(std::string_view content_type,
                            std::string_view body, SpanStore& store) {
  return Receive(content_type, body, "rejectedSpans",
                 [&store](OtlpEncoding encoding, std::string_view request) {
                   return StoreOtlpTraces(encoding, request, store);
                 });
}

OtlpReply ReceiveOtlpMetrics(std::string_view content_type,
                             std::string_view body, MetricStore& store) {
  // ExportMetricsServiceResponse has the trace response's layout; only the
  // JSON name of the count differs.
  return Receive(content_type, body, "rejectedDataPoints",
                 [&store](OtlpEncoding encoding, std::string_view request) {
                   return StoreOtlpMetrics(encoding, request, store);
                 });
}

OtlpReply FailOtlpRequest(std::string_view content_type, int status,
                          std::string_view message) {
  const int32_t code = status == 404   ? kUnimplemented
                       : status == 503 ? kUnavailable
                                       : kInvalidArgument;
  return Failure(OtlpEncodingOf(content_type).value_or(OtlpEncoding::kProtobuf),
                 status, code, message);
}

std::string TracesOnlyMessage(std::string_view signal) {
  const std::string variable =
      signal == "logs" ? "OTEL_LOGS_EXPORTER" : "OTEL_METRICS_EXPORTER";
  return "this receiver stores traces only, not " + std::string(signal) +
         "; set " + variable + "=none in the sending service";
}

OtlpReply RefuseOtlpSignal(std::string_view content_type,
                           std::string_view signal) {
  return FailOtlpRequest(content_type, 404, TracesOnlyMessage(signal));
}

}  // namespace kafkatrace::collector
