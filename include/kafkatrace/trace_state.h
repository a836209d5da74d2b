// TraceState: the W3C `tracestate` list, already validated, kept as its
// normalized header value ("k1=v1,k2=v2", no spaces, original order) in a
// shared immutable string: an empty one is a null pointer, so the SpanContexts
// that carry it (nearly always empty) copy and move for free, and a non-empty
// one is shared, not copied. Thread-safety: immutable value; copies may live
// on any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kafkatrace {

class TraceState {
 public:
  static constexpr size_t kMaxMembers = 32;

  TraceState() = default;  // empty

  // Parses the combined value of all tracestate field lines (joined with ','),
  // applying W3C rules 8-13: empty members skipped, any invalid member or more
  // than 32 members discards everything (nullopt), later duplicate keys
  // dropped.
  static std::optional<TraceState> Parse(std::string_view combined);

  bool empty() const { return header_ == nullptr; }
  // The value to send; empty means "omit the header".
  const std::string& header() const {
    static const std::string kEmpty;
    return header_ ? *header_ : kEmpty;
  }
  std::vector<std::pair<std::string_view, std::string_view>> members() const;
  std::optional<std::string_view> Get(std::string_view key) const;

  // Returns a copy with key=value as the leftmost member, any old member with
  // that key removed, and the rightmost member dropped if that would exceed 32
  // (W3C rule 17). nullopt if the key or value is invalid.
  std::optional<TraceState> WithMember(std::string_view key,
                                       std::string_view value) const;

  static bool IsValidKey(std::string_view key);
  static bool IsValidValue(std::string_view value);

  friend bool operator==(const TraceState& a, const TraceState& b) {
    return a.header() == b.header();
  }

 private:
  explicit TraceState(std::string header)
      : header_(header.empty()
                    ? nullptr
                    : std::make_shared<const std::string>(std::move(header))) {}
  std::shared_ptr<const std::string> header_;  // null when empty
};

}  // namespace kafkatrace
