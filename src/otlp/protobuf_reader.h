// Protocol Buffers wire-format reader over untrusted bytes: every length is
// checked against what is left, and the first problem stops the reader with a
// reason (error()) instead of reading past the end. Used for OTLP requests in
// the collector and OTLP responses in the exporter. Not thread-safe; views
// into the input stay valid as long as the input does.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kafkatrace::otlp {

class ProtobufReader {
 public:
  explicit ProtobufReader(std::string_view data) : data_(data) {}
  bool done() const { return data_.empty(); }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

  // Reads the next field header; false at the end or on error.
  bool Next(uint32_t& field, uint32_t& type) {
    if (data_.empty() || !ok_) return false;
    uint64_t key = Varint();
    field = static_cast<uint32_t>(key >> 3);
    type = static_cast<uint32_t>(key & 7);
    if (field == 0) Fail("field number 0");
    return ok_;
  }
  uint64_t Varint() {
    uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (data_.empty()) break;
      auto byte = static_cast<uint8_t>(data_.front());
      data_.remove_prefix(1);
      value |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    Fail("truncated varint");
    return 0;
  }
  uint64_t Fixed64() {
    if (data_.size() < 8) return Fail("truncated fixed64"), 0;
    uint64_t v;
    std::memcpy(&v, data_.data(), 8);
    data_.remove_prefix(8);
    return v;
  }
  uint32_t Fixed32() {
    if (data_.size() < 4) return Fail("truncated fixed32"), 0;
    uint32_t v;
    std::memcpy(&v, data_.data(), 4);
    data_.remove_prefix(4);
    return v;
  }
  std::string_view Bytes() {
    uint64_t n = Varint();
    if (!ok_ || n > data_.size())
      return Fail("length past the end of the message"), std::string_view();
    std::string_view out = data_.substr(0, n);
    data_.remove_prefix(n);
    return out;
  }
  void Skip(uint32_t type) {
    switch (type) {
      case 0:
        Varint();
        break;
      case 1:
        Fixed64();
        break;
      case 2:
        Bytes();
        break;
      case 5:
        Fixed32();
        break;
      default:
        Fail("unknown wire type " + std::to_string(type));
    }
  }
  // Expects `type` for `field`; records an error otherwise.
  bool Expect(uint32_t type, uint32_t want, const char* what) {
    if (type == want) return true;
    Fail(std::string("wrong wire type for ") + what);
    return false;
  }
  void Fail(std::string message) {
    if (ok_) error_ = std::move(message);
    ok_ = false;
    data_ = {};
  }

 private:
  std::string_view data_;
  bool ok_ = true;
  std::string error_;
};

}  // namespace kafkatrace::otlp
