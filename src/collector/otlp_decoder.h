// Decodes OTLP ExportTraceServiceRequest bodies (protobuf or OTLP/JSON) into
// StoredSpans. Input is untrusted: every length is checked, and malformed input
// is an error or a rejected span with a reason, never a crash.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "collector/stored_span.h"
#include "kafkatrace/status.h"

namespace kafkatrace::collector {

// What one export request carried. A request that cannot be read as a whole
// (broken framing, a malformed resource) is an error; a span that is invalid
// on its own (bad ids, broken attributes) is rejected alone and counted, so the
// receiver can answer with OTLP's partial success and keep the valid spans
// rather than refuse them all.
struct DecodedSpans {
  std::vector<StoredSpan> spans;
  int64_t rejected = 0;
  std::string rejection;  // the first rejected span's reason

  void Reject(std::string reason) {
    if (rejected++ == 0) rejection = std::move(reason);
  }
};

Result<DecodedSpans> DecodeOtlpProtobuf(std::string_view body);
Result<DecodedSpans> DecodeOtlpJson(std::string_view body);

// Shared with the metrics decoder. A KeyValue list (repeated field `field` of
// `message`) as the text of a JSON object, noting service.name when
// `service` is given; false with `error` set when malformed.
bool ReadAttributesProtobuf(std::string_view message, uint32_t field,
                            std::string& json_out, std::string* service,
                            std::string& error);
// The same for an OTLP/JSON object's "attributes" array.
bool ReadAttributesJson(const nlohmann::json& holder, std::string& json_out,
                        std::string* service);
// A 64-bit integer of OTLP/JSON: a string of digits, or a number.
int64_t ReadJsonInt(const nlohmann::json& value);

// Starts the reason of an OTLP/JSON body the decoder failed to check
// field by field (a bug, though still a 400 and never a crash).
inline constexpr std::string_view kUnexpectedJson = "unexpected JSON: ";

}  // namespace kafkatrace::collector
