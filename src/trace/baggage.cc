#include "kafkatrace/baggage.h"

namespace kafkatrace {

const std::vector<Baggage::Entry>& Baggage::NoEntries() {
  static const std::vector<Entry> kNone;
  return kNone;
}

std::optional<std::string_view> Baggage::Get(std::string_view key) const {
  for (const auto& entry : entries()) {
    if (entry.key == key) return std::string_view(entry.value);
  }
  return std::nullopt;
}

Baggage Baggage::With(std::string_view key, std::string_view value,
                      std::string_view metadata) const {
  auto entries = std::make_shared<std::vector<Entry>>(this->entries());
  Baggage copy;
  copy.entries_ = entries;
  for (auto& entry : *entries) {
    if (entry.key == key) {
      entry.value = value;
      entry.metadata = metadata;
      return copy;
    }
  }
  entries->push_back(
      {std::string(key), std::string(value), std::string(metadata)});
  return copy;
}

Baggage Baggage::Without(std::string_view key) const {
  auto entries = std::make_shared<std::vector<Entry>>();
  for (const auto& entry : this->entries()) {
    if (entry.key != key) entries->push_back(entry);
  }
  Baggage copy;
  if (!entries->empty()) copy.entries_ = std::move(entries);
  return copy;
}

}  // namespace kafkatrace
