// TextMapCarrier: where propagators read and write headers (HTTP fields, Kafka
// record headers). A key may hold several values, because Kafka headers and
// HTTP field lines repeat and the W3C rules depend on how many there are. Keys
// compare ASCII case-insensitively. Thread-safety: a carrier belongs to one
// request or record; not synchronized.
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafkatrace/function_ref.h"

namespace kafkatrace {

class TextMapCarrier {
 public:
  virtual ~TextMapCarrier() = default;
  // Calls `visit` for every value stored under `key` (any case), in the order
  // received.
  virtual void Get(std::string_view key,
                   FunctionRef<void(std::string_view)> visit) const = 0;
  // Replaces every value under `key` (any case) by exactly one `value`.
  virtual void Set(std::string_view key, std::string_view value) = 0;
  // Removes every value under `key` (any case). Injection uses it so a stale
  // header left on a reused record cannot contradict the new context.
  virtual void Remove(std::string_view key) = 0;
  // Calls `visit` once per stored key, in order (repeated keys repeat).
  virtual void Keys(FunctionRef<void(std::string_view)> visit) const = 0;
};

// Header names compare case-insensitively (ASCII only). Inline: carriers call
// it per header, most names differ in length, and equal ones are compared 8
// bytes at a time until a difference needs case folding.
inline bool EqualsIgnoreAsciiCase(std::string_view a,
                                  std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  size_t n = a.size();
  for (; n >= 8; n -= 8, p += 8, q += 8) {
    uint64_t x, y;
    std::memcpy(&x, p, 8);
    std::memcpy(&y, q, 8);
    if (x != y) break;
  }
  for (; n > 0; --n, ++p, ++q) {
    char x = *p, y = *q;
    if (x == y) continue;
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

// A carrier over an ordered list of (key, value) pairs; what tests and HTTP
// code use.
class HeaderListCarrier final : public TextMapCarrier {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  HeaderListCarrier() = default;
  explicit HeaderListCarrier(Headers headers) : headers_(std::move(headers)) {}
  HeaderListCarrier(
      std::initializer_list<std::pair<std::string, std::string>> headers)
      : headers_(headers) {}

  void Get(std::string_view key,
           FunctionRef<void(std::string_view)> visit) const override;
  void Set(std::string_view key, std::string_view value) override;
  void Remove(std::string_view key) override;
  void Keys(FunctionRef<void(std::string_view)> visit) const override;

  // Appends without replacing, to build carriers with repeated keys.
  void Add(std::string key, std::string value);
  const Headers& headers() const { return headers_; }

 private:
  Headers headers_;
};

}  // namespace kafkatrace
