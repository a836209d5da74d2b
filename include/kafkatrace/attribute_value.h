// Attributes: key/value pairs on spans, events, links and resources. Values are the
// OpenTelemetry types: string, bool, int64, double, and homogeneous arrays of them.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kafkatrace {

using AttributeValue =
    std::variant<bool, int64_t, double, std::string, std::vector<bool>,
                 std::vector<int64_t>, std::vector<double>,
                 std::vector<std::string>>;

struct Attribute {
  std::string key;
  AttributeValue value;

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

using Attributes = std::vector<Attribute>;

// Finds an attribute by key; nullptr if absent.
const AttributeValue* FindAttribute(const Attributes& attributes,
                                    std::string_view key) noexcept;

// A readable rendering for console output and tests: strings quoted, arrays in brackets.
std::string AttributeValueToString(const AttributeValue& value);

}  // namespace kafkatrace
