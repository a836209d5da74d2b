#include "kafkatrace/propagation/text_map_carrier.h"

namespace kafkatrace {

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

void HeaderListCarrier::Get(std::string_view key,
                            FunctionRef<void(std::string_view)> visit) const {
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreAsciiCase(k, key)) visit(v);
  }
}

void HeaderListCarrier::Set(std::string_view key, std::string_view value) {
  // Reuse the first matching entry (and its capacity), drop the others.
  bool kept = false;
  size_t out = 0;
  for (size_t i = 0; i < headers_.size(); ++i) {
    if (EqualsIgnoreAsciiCase(headers_[i].first, key)) {
      if (kept) continue;
      kept = true;
      headers_[i].first.assign(key);
      headers_[i].second.assign(value);
    }
    if (out != i) headers_[out] = std::move(headers_[i]);
    ++out;
  }
  headers_.resize(out);
  if (!kept) headers_.emplace_back(std::string(key), std::string(value));
}

void HeaderListCarrier::Remove(std::string_view key) {
  std::erase_if(headers_, [&](const auto& header) {
    return EqualsIgnoreAsciiCase(header.first, key);
  });
}

void HeaderListCarrier::Keys(FunctionRef<void(std::string_view)> visit) const {
  for (const auto& header : headers_) visit(header.first);
}

void HeaderListCarrier::Add(std::string key, std::string value) {
  headers_.emplace_back(std::move(key), std::move(value));
}

}  // namespace kafkatrace
