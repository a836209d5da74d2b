#include <algorithm>

#include "kafkatrace/propagation/text_map_carrier.h"

namespace kafkatrace {

void HeaderListCarrier::Get(std::string_view key,
                            FunctionRef<void(std::string_view)> visit) const {
  for (const auto& [k, v] : headers_) {
    if (EqualsIgnoreAsciiCase(k, key)) visit(v);
  }
}

void HeaderListCarrier::Set(std::string_view key, std::string_view value) {
  // Reuse the first matching entry (and its capacity), drop the others.
  auto it = std::find_if(headers_.begin(), headers_.end(), [&](const auto& h) {
    return EqualsIgnoreAsciiCase(h.first, key);
  });
  if (it == headers_.end()) {
    headers_.emplace_back(std::string(key), std::string(value));
    return;
  }
  if (it->first != key) it->first.assign(key);
  it->second.assign(value);
  headers_.erase(std::remove_if(std::next(it), headers_.end(),
                                [&](const auto& h) {
                                  return EqualsIgnoreAsciiCase(h.first, key);
                                }),
                 headers_.end());
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
