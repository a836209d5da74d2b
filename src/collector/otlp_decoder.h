// Decodes OTLP ExportTraceServiceRequest bodies (protobuf or OTLP/JSON) into
// StoredSpans. Input is untrusted: every length is checked, and malformed input
// is an error with a reason (the receiver answers 400 with it), never a crash.
#pragma once

#include <string_view>
#include <vector>

#include "collector/stored_span.h"
#include "kafkatrace/status.h"

namespace kafkatrace::collector {

Result<std::vector<StoredSpan>> DecodeOtlpProtobuf(std::string_view body);
Result<std::vector<StoredSpan>> DecodeOtlpJson(std::string_view body);

}  // namespace kafkatrace::collector
