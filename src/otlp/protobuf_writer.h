// Protocol Buffers wire-format writer for the OTLP encoder. It writes through a
// raw pointer into a buffer grown ahead of need (one capacity check per field,
// not per byte, and no zero-filling as std::string::resize would do); Append
// the result to a string when done. Nested messages get a one-byte length
// placeholder (two for BeginLargeMessage), fitted to the body afterwards, so
// the output is canonical without a separate sizing pass. Messages that hold a
// whole batch are not closed here: the encoder writes their headers in front
// of the runs it took from this writer (EncodeProtobuf).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace kafkatrace::otlp {

// Every field write is a handful of instructions; call overhead would double
// the cost.
#define KAFKATRACE_INLINE inline __attribute__((always_inline))

class ProtobufWriter {
 public:
  enum WireType : uint32_t {
    kVarint = 0,
    kFixed64 = 1,
    kLen = 2,
    kFixed32 = 5
  };

  ProtobufWriter() = default;
  std::string_view view() const { return {data_.get(), used_}; }
  size_t size() const { return used_; }
  void Clear() { used_ = 0; }
  ProtobufWriter(const ProtobufWriter&) = delete;
  ProtobufWriter& operator=(const ProtobufWriter&) = delete;

  KAFKATRACE_INLINE void Varint(uint64_t value) {
    Reserve(10);
    used_ = static_cast<size_t>(PutVarint(data_.get() + used_, value) -
                                data_.get());
  }
  KAFKATRACE_INLINE void Tag(uint32_t field, WireType type) {
    Varint((uint64_t{field} << 3) | type);
  }

  KAFKATRACE_INLINE void VarintField(uint32_t field, uint64_t value) {
    Reserve(20);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kVarint);
    used_ = static_cast<size_t>(PutVarint(p, value) - data_.get());
  }
  // Omitted when zero, as proto3 does for scalar fields outside a oneof.
  KAFKATRACE_INLINE void OptionalVarintField(uint32_t field, uint64_t value) {
    if (value != 0) VarintField(field, value);
  }
  KAFKATRACE_INLINE void Fixed64Field(uint32_t field, uint64_t value) {
    Reserve(18);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kFixed64);
    std::memcpy(p, &value, 8);  // little-endian host (x86-64, arm64)
    used_ = static_cast<size_t>(p + 8 - data_.get());
  }
  KAFKATRACE_INLINE void Fixed32Field(uint32_t field, uint32_t value) {
    Reserve(14);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kFixed32);
    std::memcpy(p, &value, 4);
    used_ = static_cast<size_t>(p + 4 - data_.get());
  }
  KAFKATRACE_INLINE void DoubleField(uint32_t field, double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    Fixed64Field(field, bits);
  }
  KAFKATRACE_INLINE void BytesField(uint32_t field, std::string_view bytes) {
    Reserve(20 + bytes.size());
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kLen);
    p = PutVarint(p, bytes.size());
    CopyBytes(p, bytes.data(), bytes.size());
    used_ = static_cast<size_t>(p + bytes.size() - data_.get());
  }
  KAFKATRACE_INLINE void OptionalBytesField(uint32_t field,
                                            std::string_view bytes) {
    if (!bytes.empty()) BytesField(field, bytes);
  }

  KAFKATRACE_INLINE static size_t VarintSize(uint64_t value) {
    const int bits = 64 - __builtin_clzll(value | 1);  // no loop per 7 bits
    return static_cast<size_t>(bits + 6) / 7;
  }
  // Writes a length-delimited field header whose body size is known up front;
  // the caller then writes exactly `length` bytes of fields. Avoids
  // EndMessage's fix-up.
  KAFKATRACE_INLINE void KnownLengthHeader(uint32_t field, size_t length) {
    Reserve(20);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kLen);
    used_ = static_cast<size_t>(PutVarint(p, length) - data_.get());
  }

  // Raw writing of a short run whose bytes the caller lays out itself (a
  // whole field whose lengths all fit one byte): room for `n` bytes at the
  // returned pointer; pass the end of what was written to CommitRaw.
  KAFKATRACE_INLINE char* ReserveRaw(size_t n) {
    Reserve(n);
    return data_.get() + used_;
  }
  KAFKATRACE_INLINE void CommitRaw(char* end) {
    used_ = static_cast<size_t>(end - data_.get());
  }
  KAFKATRACE_INLINE static char* PutBytes(char* p, std::string_view bytes) {
    CopyBytes(p, bytes.data(), bytes.size());
    return p + bytes.size();
  }
  KAFKATRACE_INLINE static char* PutVarint(char* p, uint64_t value) {
    while (value >= 0x80) {
      *p++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *p++ = static_cast<char>(value);
    return p;
  }

  // Starts a nested message; pass the result to EndMessage.
  KAFKATRACE_INLINE size_t BeginMessage(uint32_t field) {
    Reserve(11);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kLen);
    *p++ = '\0';
    used_ = static_cast<size_t>(p - data_.get());
    return used_;
  }
  // As BeginMessage, for a message that usually takes 128 to 16,383 bytes (a
  // span): a two-byte placeholder, so that EndLargeMessage seldom moves the
  // body (EndMessage would move every such span by a byte).
  KAFKATRACE_INLINE size_t BeginLargeMessage(uint32_t field) {
    Reserve(12);
    char* p = PutVarint(data_.get() + used_, (uint64_t{field} << 3) | kLen);
    p += 2;
    used_ = static_cast<size_t>(p - data_.get());
    return used_;
  }
  void EndLargeMessage(size_t body_start) {
    const size_t length = used_ - body_start;
    if (length >= 0x80 && length < 0x4000) [[likely]] {
      data_[body_start - 2] = static_cast<char>(length | 0x80);
      data_[body_start - 1] = static_cast<char>(length >> 7);
      return;
    }
    char* body = data_.get() + body_start;
    if (length < 0x80) {  // one byte: the body moves back by one
      body[-2] = static_cast<char>(length);
      std::memmove(body - 1, body, length);
      used_ -= 1;
      return;
    }
    char prefix[10];  // 16 KiB and over: n is at least 3, the body moves on
    const size_t n = static_cast<size_t>(PutVarint(prefix, length) - prefix);
    Reserve(n - 2);
    body = data_.get() + body_start;
    std::memmove(body + n - 2, body, length);  // widen the placeholder
    std::memcpy(body - 2, prefix, n);
    used_ += n - 2;
  }
  void EndMessage(size_t body_start) {
    const size_t length = used_ - body_start;
    if (length < 0x80) {
      data_[body_start - 1] = static_cast<char>(length);
      return;
    }
    char prefix[10];  // 128 bytes and over: n is at least 2
    const size_t n = static_cast<size_t>(PutVarint(prefix, length) - prefix);
    Reserve(n - 1);
    char* body = data_.get() + body_start;
    std::memmove(body + n - 1, body, length);  // widen the placeholder
    std::memcpy(body - 1, prefix, n);
    used_ += n - 1;
  }

 private:
  // Keys and values are mostly short: copy them inline with overlapping word
  // moves instead of a libc memcpy call per field, which dominated the
  // encoder's profile.
  KAFKATRACE_INLINE static void CopyBytes(char* dst, const char* src,
                                          size_t n) {
    if (n > 64) {
      std::memcpy(dst, src, n);
    } else if (n > 32) {  // attribute keys such as messaging.kafka.*
      uint64_t a[4], b[4];
      std::memcpy(a, src, 32);
      std::memcpy(b, src + n - 32, 32);
      std::memcpy(dst, a, 32);
      std::memcpy(dst + n - 32, b, 32);
    } else if (n >= 16) {
      uint64_t a[2], b[2];
      std::memcpy(a, src, 16);
      std::memcpy(b, src + n - 16, 16);
      std::memcpy(dst, a, 16);
      std::memcpy(dst + n - 16, b, 16);
    } else if (n >= 8) {
      uint64_t a, b;
      std::memcpy(&a, src, 8);
      std::memcpy(&b, src + n - 8, 8);
      std::memcpy(dst, &a, 8);
      std::memcpy(dst + n - 8, &b, 8);
    } else {
      for (size_t i = 0; i < n; ++i) dst[i] = src[i];
    }
  }
  KAFKATRACE_INLINE void Reserve(size_t n) {
    if (used_ + n > capacity_) [[unlikely]]
      Grow(n);
  }
  __attribute__((noinline)) void Grow(size_t n) {
    size_t capacity = std::max(capacity_ * 2, used_ + n + 4096);
    std::unique_ptr<char[]> grown(
        new char[capacity]);  // uninitialized on purpose
    if (used_ != 0) std::memcpy(grown.get(), data_.get(), used_);
    data_ = std::move(grown);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

}  // namespace kafkatrace::otlp
