#include "collector/otlp_receiver.h"

#include "collector/otlp_decoder.h"
#include "common/json_writer.h"
#include "common/text.h"
#include "kafkatrace/propagation/text_map_carrier.h"  // EqualsIgnoreAsciiCase
#include "otlp/protobuf_writer.h"

namespace kafkatrace::collector {
namespace {

constexpr int32_t kInvalidArgument = 3;  // google.rpc.Code
constexpr int32_t kUnavailable = 14;
constexpr int32_t kUnimplemented = 12;

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
                                    std::string_view error_message) {
  const bool partial = rejected_spans != 0 || !error_message.empty();
  if (encoding == OtlpEncoding::kJson) {
    std::string body;
    json::Writer w(body);
    w.BeginObject();
    if (partial) {
      // proto3's JSON mapping writes 64-bit integers as strings.
      w.Key("partialSuccess").BeginObject();
      w.Key("rejectedSpans").String(std::to_string(rejected_spans));
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

OtlpReply ReceiveOtlpTraces(std::string_view content_type,
                            std::string_view body, SpanStore& store) {
  const std::optional<OtlpEncoding> encoding = OtlpEncodingOf(content_type);
  if (!encoding) {
    return {
        415, "text/plain; charset=utf-8",
        "Content-Type must be application/x-protobuf or application/json\n"};
  }
  auto decoded = *encoding == OtlpEncoding::kJson ? DecodeOtlpJson(body)
                                                  : DecodeOtlpProtobuf(body);
  if (!decoded.ok()) {
    return Failure(*encoding, 400, kInvalidArgument,
                   decoded.status().message());
  }
  if (!decoded->spans.empty()) {
    if (Status s = store.Insert(decoded->spans); !s.ok()) {
      return Failure(*encoding, 503, kUnavailable,
                     "cannot store spans: " + s.message());
    }
  }
  std::string message;
  if (decoded->rejected != 0) {
    message = std::to_string(decoded->rejected) + " of " +
              std::to_string(decoded->rejected +
                             static_cast<int64_t>(decoded->spans.size())) +
              " spans rejected; the first: " + decoded->rejection;
  }
  return {200, MediaType(*encoding),
          ExportTraceResponseBody(*encoding, decoded->rejected, message)};
}

OtlpReply FailOtlpRequest(std::string_view content_type, int status,
                          std::string_view message) {
  const int32_t code = status == 404   ? kUnimplemented
                       : status == 503 ? kUnavailable
                                       : kInvalidArgument;
  return Failure(OtlpEncodingOf(content_type).value_or(OtlpEncoding::kProtobuf),
                 status, code, message);
}

OtlpReply RefuseOtlpSignal(std::string_view content_type,
                           std::string_view signal) {
  const std::string variable =
      signal == "logs" ? "OTEL_LOGS_EXPORTER" : "OTEL_METRICS_EXPORTER";
  return FailOtlpRequest(content_type, 404,
                         "this receiver stores traces only, not " +
                             std::string(signal) + "; set " + variable +
                             "=none in the sending service");
}

}  // namespace kafkatrace::collector
