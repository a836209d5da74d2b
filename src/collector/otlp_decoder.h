// Decodes OTLP ExportTraceServiceRequest bodies (protobuf or OTLP/JSON) into
// StoredSpans. Input is untrusted: every length is checked, and malformed input
// is an error or a rejected span with a reason, never a crash.
#pragma once

#include <cstdint>
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

// Starts the reason of an OTLP/JSON body the decoder failed to check
// field by field (a bug, though still a 400 and never a crash).
inline constexpr std::string_view kUnexpectedJson = "unexpected JSON: ";

}  // namespace kafkatrace::collector
