// RecordHeadersCarrier: a TextMapCarrier over a Kafka record's headers
// (librdkafka's rd_kafka_headers_t), so propagators read and write trace
// context in records. Reads do not copy: values are visited in place. Keys
// compare ASCII case-insensitively, and Set/Remove drop every spelling of the
// key, so re-producing a record never duplicates traceparent. Thread-safety:
// like the headers it wraps, one thread at a time.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "kafkatrace/propagation/text_map_carrier.h"

namespace kafkatrace::kafka {

// Visits each header of `headers` (may be null: none) in order, as
// visit(name, value) with librdkafka's NUL-terminated name, without measuring
// or copying it; a header without a value is visited with an empty one. The
// pointers live as long as the headers are unchanged.
template <typename Visit>
void ForEachHeaderNamed(const rd_kafka_headers_t* headers, Visit&& visit) {
  if (headers == nullptr) return;
  const char* name;
  const void* value;
  size_t size;
  // Counted first: asking for the entry past the last costs a whole call.
  const size_t count = rd_kafka_header_cnt(headers);
  for (size_t i = 0;
       i < count && rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                        RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    visit(name, value != nullptr
                    ? std::string_view(static_cast<const char*>(value), size)
                    : std::string_view());
  }
}

// The same, with the name as a view.
template <typename Visit>
void ForEachHeader(const rd_kafka_headers_t* headers, Visit&& visit) {
  ForEachHeaderNamed(headers, [&](const char* name, std::string_view value) {
    visit(std::string_view(name), value);
  });
}

class RecordHeadersCarrier final : public TextMapCarrier {
 public:
  enum class Mode {
    kReplace,  // Set/Remove drop every spelling of the key first (the default)
    kAppend,   // Set only appends and Remove does nothing: for a header list
               // the caller already cleared of the propagator's fields
  };
  // `headers` is borrowed and may be null (a record without headers): reads see
  // nothing and writes are ignored.
  explicit RecordHeadersCarrier(rd_kafka_headers_s* headers,
                                Mode mode = Mode::kReplace)
      : headers_(headers), mode_(mode) {}

  void Get(std::string_view key,
           FunctionRef<void(std::string_view)> visit) const override;
  void Set(std::string_view key, std::string_view value) override;
  void Remove(std::string_view key) override;
  void Keys(FunctionRef<void(std::string_view)> visit) const override;

 private:
  rd_kafka_headers_s* headers_;
  Mode mode_;
};

}  // namespace kafkatrace::kafka
