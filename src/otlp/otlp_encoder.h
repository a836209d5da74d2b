// Encodes spans as an OTLP ExportTraceServiceRequest, in protobuf or in
// OTLP/JSON, and decodes the response's partial-success counts and failure
// messages. Spans are
// grouped by resource, then by scope, in the order they first appear.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "kafkatrace/span_data.h"

namespace kafkatrace::json {
class Writer;
}  // namespace kafkatrace::json

namespace kafkatrace::otlp {

class ProtobufWriter;

void EncodeProtobuf(std::span<const std::unique_ptr<SpanData>> spans,
                    std::string& out);
void EncodeJson(std::span<const std::unique_ptr<SpanData>> spans,
                std::string& out);
// Encodes one Span message body (no outer tag); for the encoder benchmark.
void EncodeSpanProtobuf(const SpanData& span, std::string& out);

// KeyValue lists, shared with the metrics encoder: repeated field `field`
// in protobuf; the "attributes" member in JSON.
void EncodeAttributesProtobuf(ProtobufWriter& w, uint32_t field,
                              const Attributes& attributes);
void EncodeAttributesJson(json::Writer& w, const Attributes& attributes);

struct PartialSuccess {
  int64_t rejected = 0;  // spans or data points, as the request held
  std::string error_message;
};
// Reads an Export*ServiceResponse (traces and metrics share its layout);
// nullopt if the body is not a valid response.
std::optional<PartialSuccess> DecodeResponseProtobuf(std::string_view body);
std::optional<PartialSuccess> DecodeResponseJson(std::string_view body);
// The message of a failure response's google.rpc.Status; empty when the body
// is not one.
std::string DecodeStatusMessage(std::string_view body, bool json);
// The delay a google.rpc.Status (protobuf) asks for in a RetryInfo detail,
// as OTLP/gRPC servers send it with RESOURCE_EXHAUSTED or UNAVAILABLE;
// nullopt when it has none.
std::optional<std::chrono::milliseconds> DecodeRetryDelay(
    std::string_view status);

}  // namespace kafkatrace::otlp
