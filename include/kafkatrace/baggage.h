// Baggage: application key/value pairs that travel with the trace context (W3C
// Baggage). Values are stored decoded; the propagator percent-encodes them on
// the wire. Thread-safety: immutable value; the With*/Without methods return
// modified copies. Copies share the entries (a Context is copied into every
// scope that makes it current, once per consumed record), so copying never
// allocates.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kafkatrace {

class Baggage {
 public:
  struct Entry {
    std::string key;
    std::string value;     // decoded
    std::string metadata;  // properties after ';', kept verbatim
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  Baggage() = default;
  bool empty() const { return entries_ == nullptr || entries_->empty(); }
  const std::vector<Entry>& entries() const {
    return entries_ != nullptr ? *entries_ : NoEntries();
  }
  std::optional<std::string_view> Get(std::string_view key) const;
  // Adds or replaces `key` (keeping the position of a replaced entry).
  Baggage With(std::string_view key, std::string_view value,
               std::string_view metadata = {}) const;
  Baggage Without(std::string_view key) const;

  friend bool operator==(const Baggage& a, const Baggage& b) {
    return a.entries() == b.entries();
  }

 private:
  static const std::vector<Entry>& NoEntries();
  // Null when empty; never changed once shared.
  std::shared_ptr<const std::vector<Entry>> entries_;
};

}  // namespace kafkatrace
