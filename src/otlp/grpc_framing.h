// gRPC's message framing, shared by the OTLP exporter (grpc protocol) and the
// viewer's OTLP/gRPC receiver: a Length-Prefixed-Message is one byte saying
// whether the message is compressed, its length as four big-endian bytes,
// then the message. A unary call carries exactly one each way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kafkatrace::otlp {

// gRPC status codes, the same numbers as google.rpc.Code (which OTLP/HTTP
// failure bodies carry).
namespace grpc_code {
inline constexpr int32_t kOk = 0;
inline constexpr int32_t kCancelled = 1;
inline constexpr int32_t kInvalidArgument = 3;
inline constexpr int32_t kDeadlineExceeded = 4;
inline constexpr int32_t kResourceExhausted = 8;
inline constexpr int32_t kAborted = 10;
inline constexpr int32_t kOutOfRange = 11;
inline constexpr int32_t kUnimplemented = 12;
inline constexpr int32_t kInternal = 13;
inline constexpr int32_t kUnavailable = 14;
inline constexpr int32_t kDataLoss = 15;
}  // namespace grpc_code

// The OTLP trace service's one method, as an HTTP/2 :path.
inline constexpr std::string_view kGrpcTraceExportPath =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
// The OTLP metrics service's.
inline constexpr std::string_view kGrpcMetricsExportPath =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

inline std::string GrpcFrame(std::string_view message, bool compressed) {
  const auto length = static_cast<uint32_t>(message.size());
  std::string frame{static_cast<char>(compressed ? 1 : 0),
                    static_cast<char>(length >> 24),
                    static_cast<char>(length >> 16),
                    static_cast<char>(length >> 8), static_cast<char>(length)};
  frame.append(message);
  return frame;
}

struct GrpcMessage {
  bool compressed = false;
  std::string_view bytes;  // into the framed body
};

// The one message `body` holds; nullopt unless it is exactly one frame with a
// compressed flag of 0 or 1.
inline std::optional<GrpcMessage> ParseGrpcFrame(std::string_view body) {
  if (body.size() < 5) return std::nullopt;
  const auto* prefix = reinterpret_cast<const unsigned char*>(body.data());
  const uint32_t length = (uint32_t{prefix[1]} << 24) |
                          (uint32_t{prefix[2]} << 16) |
                          (uint32_t{prefix[3]} << 8) | uint32_t{prefix[4]};
  if (prefix[0] > 1 || length != body.size() - 5) return std::nullopt;
  return GrpcMessage{prefix[0] == 1, body.substr(5)};
}

}  // namespace kafkatrace::otlp
