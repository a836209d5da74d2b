#include "kafkatrace/attribute_value.h"

#include <type_traits>

#include "common/json_writer.h"

namespace kafkatrace {

const AttributeValue* FindAttribute(const Attributes& attributes,
                                    std::string_view key) noexcept {
  for (const auto& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

AttributeValue AttributeArg::ToValue() const {
  switch (kind_) {
    case Kind::kBool:
      return bool_;
    case Kind::kInt64:
      return int_;
    case Kind::kDouble:
      return double_;
    case Kind::kString:
      return std::string(string_);
    case Kind::kValue:
      return *value_;
    case Kind::kBools:
      return *bools_;
    case Kind::kInt64s:
      return *ints_;
    case Kind::kDoubles:
      return *doubles_;
    case Kind::kStrings:
      return *strings_;
  }
  return false;
}

namespace {
void AppendScalar(std::string& out, bool v) { out += v ? "true" : "false"; }
void AppendScalar(std::string& out, int64_t v) { json::AppendInt(out, v); }
void AppendScalar(std::string& out, double v) { json::AppendDouble(out, v); }
void AppendScalar(std::string& out, const std::string& v) {
  json::AppendString(out, v);
}
}  // namespace

std::string AttributeValueToString(const AttributeValue& value) {
  std::string out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::vector<bool>> ||
                      std::is_same_v<T, std::vector<int64_t>> ||
                      std::is_same_v<T, std::vector<double>> ||
                      std::is_same_v<T, std::vector<std::string>>) {
          out += '[';
          bool first = true;
          for (const auto& element : v) {
            if (!first) out += ',';
            first = false;
            using E = typename T::value_type;
            AppendScalar(out, static_cast<E>(element));
          }
          out += ']';
        } else {
          AppendScalar(out, v);
        }
      },
      value);
  return out;
}

}  // namespace kafkatrace
