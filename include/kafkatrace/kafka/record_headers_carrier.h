// RecordHeadersCarrier: a TextMapCarrier over a Kafka record's headers
// (librdkafka's rd_kafka_headers_t), so propagators read and write trace
// context in records. Reads do not copy: values are visited in place. Keys
// compare ASCII case-insensitively, and Set/Remove drop every spelling of the
// key, so re-producing a record never duplicates traceparent. Thread-safety:
// like the headers it wraps, one thread at a time.
#pragma once

#include "kafkatrace/propagation/text_map_carrier.h"

struct rd_kafka_headers_s;

namespace kafkatrace::kafka {

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
