#include "kafkatrace/baggage.h"

namespace kafkatrace {

std::optional<std::string_view> Baggage::Get(std::string_view key) const {
  for (const auto& entry : entries_) {
    if (entry.key == key) return std::string_view(entry.value);
  }
  return std::nullopt;
}

Baggage Baggage::With(std::string_view key, std::string_view value,
                      std::string_view metadata) const {
  Baggage copy = *this;
  for (auto& entry : copy.entries_) {
    if (entry.key == key) {
      entry.value = value;
      entry.metadata = metadata;
      return copy;
    }
  }
  copy.entries_.push_back(
      {std::string(key), std::string(value), std::string(metadata)});
  return copy;
}

Baggage Baggage::Without(std::string_view key) const {
  Baggage copy;
  for (const auto& entry : entries_) {
    if (entry.key != key) copy.entries_.push_back(entry);
  }
  return copy;
}

}  // namespace kafkatrace
