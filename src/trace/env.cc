#include "trace/env.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace kafkatrace::env {

std::optional<std::string> Get(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string Lowercase(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<bool> Bool(const char* name, bool default_value) {
  auto value = Get(name);
  if (!value) return default_value;
  std::string lower = Lowercase(*value);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return Status::InvalidArgument(std::string(name) + "=\"" + *value +
                                 "\": expected true or false");
}

Result<uint64_t> Uint(const char* name, uint64_t default_value) {
  auto value = Get(name);
  if (!value) return default_value;
  uint64_t parsed = 0;
  auto [end, ec] =
      std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (ec != std::errc() || end != value->data() + value->size()) {
    return Status::InvalidArgument(std::string(name) + "=\"" + *value +
                                   "\": expected a non-negative integer");
  }
  return parsed;
}

Result<std::chrono::milliseconds> Millis(
    const char* name, std::chrono::milliseconds default_value) {
  auto value = Uint(name, static_cast<uint64_t>(default_value.count()));
  if (!value.ok()) return value.status();
  return std::chrono::milliseconds(static_cast<int64_t>(*value));
}

}  // namespace kafkatrace::env
