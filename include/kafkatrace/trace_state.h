// TraceState: the W3C `tracestate` list, already validated, kept as its
// normalized header value
// ("k1=v1,k2=v2", no spaces, original order) so copying an empty one costs
// nothing. Thread-safety: immutable value.
#pragma once

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

  bool empty() const { return header_.empty(); }
  // The value to send; empty means "omit the header".
  const std::string& header() const { return header_; }
  std::vector<std::pair<std::string_view, std::string_view>> members() const;
  std::optional<std::string_view> Get(std::string_view key) const;

  // Returns a copy with key=value as the leftmost member, any old member with
  // that key removed, and the rightmost member dropped if that would exceed 32
  // (W3C rule 17). nullopt if the key or value is invalid.
  std::optional<TraceState> WithMember(std::string_view key,
                                       std::string_view value) const;

  static bool IsValidKey(std::string_view key);
  static bool IsValidValue(std::string_view value);

  friend bool operator==(const TraceState&, const TraceState&) = default;

 private:
  explicit TraceState(std::string header) : header_(std::move(header)) {}
  std::string header_;
};

}  // namespace kafkatrace
