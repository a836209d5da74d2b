#include "kafkatrace/attribute_value.h"

#include <type_traits>

#include "common/json_writer.h"
#include "trace/span_limits.h"

namespace kafkatrace {

const AttributeValue* FindAttribute(const Attributes& attributes,
                                    std::string_view key) noexcept {
  for (const auto& attribute : attributes) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

AttributeValue AttributeArg::ToValue() const {
  switch (kind()) {
    case Kind::kBool:
      return bool_;
    case Kind::kInt64:
      return int_;
    case Kind::kDouble:
      return double_;
    case Kind::kString:
      return std::string(string());
    case Kind::kValue:
      return object<AttributeValue>();
    case Kind::kBools:
      return object<std::vector<bool>>();
    case Kind::kInt64s:
      return object<std::vector<int64_t>>();
    case Kind::kDoubles:
      return object<std::vector<double>>();
    case Kind::kStrings:
      return object<std::vector<std::string>>();
  }
  return false;
}

namespace {
// The first `max_length` characters (0: all of them).
std::string_view Cut(std::string_view s, uint32_t max_length) {
  return max_length != 0 ? s.substr(0, max_length) : s;
}
}  // namespace

void AttributeArg::AssignTo(AttributeValue& out, uint32_t max_length) const {
  if (kind() == Kind::kString) {
    const std::string_view v = Cut(string(), max_length);
    if (auto* s = std::get_if<std::string>(&out)) {
      s->assign(v);
    } else {
      out.emplace<std::string>(v);
    }
    return;
  }
  switch (kind()) {
    case Kind::kBool:
      out = bool_;
      return;
    case Kind::kInt64:
      out = int_;
      return;
    case Kind::kDouble:
      out = double_;
      return;
    default:
      break;
  }
  out = ToValue();
  detail::TruncateStrings(out, max_length);
}

namespace detail {
void TruncateStrings(AttributeValue& value, uint32_t max_length) {
  if (max_length == 0) return;
  if (auto* s = std::get_if<std::string>(&value)) {
    if (s->size() > max_length) s->resize(max_length);
  } else if (auto* list = std::get_if<std::vector<std::string>>(&value)) {
    for (auto& element : *list) {
      if (element.size() > max_length) element.resize(max_length);
    }
  }
}
}  // namespace detail

void AttributeArg::AppendOther(Attributes& list, std::string_view key,
                               uint32_t max_length) const {
  list.emplace_back(key, std::in_place_type<bool>, false);
  AssignTo(list.back().value, max_length);
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
