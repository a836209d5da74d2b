#include "kafkatrace/resource.h"

#include <errno.h>

#include "trace/env.h"

#ifndef KAFKATRACE_VERSION
#define KAFKATRACE_VERSION "0.0.0"
#endif

namespace kafkatrace {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = HexValue(s[i + 1]);
    int lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void SetOrReplace(Attributes& attributes, AttributeKey key,
                  AttributeValue value) {
  for (auto& attribute : attributes) {
    if (attribute.key == key) {
      attribute.value = std::move(value);
      return;
    }
  }
  attributes.push_back({std::move(key), std::move(value)});
}

}  // namespace

Resource::Resource(Attributes attributes) {
  for (auto& attribute : attributes) {
    SetOrReplace(attributes_, std::move(attribute.key),
                 std::move(attribute.value));
  }
}

Resource Resource::Default(std::string_view service_name) {
  std::string service(service_name);
  if (service.empty()) {
    service = std::string("unknown_service:") + program_invocation_short_name;
  }
  return Resource(Attributes{
      {"service.name", service},
      {"telemetry.sdk.name", std::string("kafkatrace")},
      {"telemetry.sdk.language", std::string("cpp")},
      {"telemetry.sdk.version", std::string(KAFKATRACE_VERSION)},
  });
}

Result<Attributes> Resource::ParseAttributeList(std::string_view list) {
  Attributes out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view member = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("resource attribute \"" +
                                     std::string(member) + "\" has no '='");
    }
    std::string_view key = Trim(member.substr(0, eq));
    if (key.empty()) {
      return Status::InvalidArgument("resource attribute \"" +
                                     std::string(member) +
                                     "\" has an empty key");
    }
    auto value = PercentDecode(Trim(member.substr(eq + 1)));
    if (!value) {
      return Status::InvalidArgument("resource attribute \"" +
                                     std::string(member) +
                                     "\" has a bad percent-encoding");
    }
    SetOrReplace(out, key, std::move(*value));
  }
  return out;
}

Result<Resource> Resource::FromEnv() {
  Resource resource = Default();
  if (auto list = env::Get("OTEL_RESOURCE_ATTRIBUTES")) {
    auto parsed = ParseAttributeList(*list);
    if (!parsed.ok()) {
      return Status::InvalidArgument("OTEL_RESOURCE_ATTRIBUTES: " +
                                     parsed.status().message());
    }
    resource = resource.Merge(Resource(std::move(parsed.value())));
  }
  if (auto name = env::Get("OTEL_SERVICE_NAME")) {
    resource = resource.Merge(Resource(Attributes{{"service.name", *name}}));
  }
  return resource;
}

Resource Resource::Merge(const Resource& other) const {
  Resource merged = *this;
  for (const auto& attribute : other.attributes_) {
    SetOrReplace(merged.attributes_, attribute.key, attribute.value);
  }
  return merged;
}

std::string Resource::service_name() const {
  const AttributeValue* value = FindAttribute(attributes_, "service.name");
  if (value == nullptr || !std::holds_alternative<std::string>(*value))
    return {};
  return std::get<std::string>(*value);
}

}  // namespace kafkatrace
