// Protocol Buffers wire-format writer for the OTLP encoder. Nested messages are
// written with a one-byte length placeholder that is widened afterwards if the
// body exceeds 127 bytes, so the output is canonical without a separate sizing
// pass.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kafkatrace::otlp {

class ProtobufWriter {
 public:
  enum WireType : uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLen = 2,
    kFixed32 = 5
  };

  explicit ProtobufWriter(std::string& out) : out_(out) {}

  void Varint(uint64_t value) {
    char buf[10];
    size_t n = 0;
    while (value >= 0x80) {
      buf[n++] = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    buf[n++] = static_cast<char>(value);
    out_.append(buf, n);
  }
  void Tag(uint32_t field, WireType type) {
    Varint((uint64_t{field} << 3) | type);
  }

  void VarintField(uint32_t field, uint64_t value) {
    Tag(field, kVarint);
    Varint(value);
  }
  // Omitted when zero, as proto3 does for scalar fields outside a oneof.
  void OptionalVarintField(uint32_t field, uint64_t value) {
    if (value != 0) VarintField(field, value);
  }
  void Fixed64Field(uint32_t field, uint64_t value) {
    Tag(field, kFixed64);
    char buf[8];
    std::memcpy(buf, &value, 8);  // little-endian host (x86-64, arm64)
    out_.append(buf, 8);
  }
  void Fixed32Field(uint32_t field, uint32_t value) {
    Tag(field, kFixed32);
    char buf[4];
    std::memcpy(buf, &value, 4);
    out_.append(buf, 4);
  }
  void DoubleField(uint32_t field, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    Fixed64Field(field, bits);
  }
  void BytesField(uint32_t field, std::string_view bytes) {
    Tag(field, kLen);
    Varint(bytes.size());
    out_.append(bytes);
  }
  void OptionalBytesField(uint32_t field, std::string_view bytes) {
    if (!bytes.empty()) BytesField(field, bytes);
  }

  // Starts a nested message; pass the result to EndMessage.
  size_t BeginMessage(uint32_t field) {
    Tag(field, kLen);
    out_.push_back('\0');
    return out_.size();
  }
  void EndMessage(size_t body_start) {
    const size_t length = out_.size() - body_start;
    if (length < 0x80) {
      out_[body_start - 1] = static_cast<char>(length);
      return;
    }
    char buf[10];
    size_t n = 0;
    uint64_t value = length;
    while (value >= 0x80) {
      buf[n++] = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    buf[n++] = static_cast<char>(value);
    out_.insert(body_start, n - 1, '\0');  // widen the placeholder
    std::memcpy(out_.data() + body_start - 1, buf, n);
  }

 private:
  std::string& out_;
};

}  // namespace kafkatrace::otlp
