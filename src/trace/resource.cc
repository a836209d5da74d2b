#include "kafkatrace/resource.h"

#include <errno.h>

#include "common/text.h"
#include "trace/env.h"

#ifndef KAFKATRACE_VERSION
#define KAFKATRACE_VERSION "0.0.0"
#endif

namespace kafkatrace {
namespace {

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
    std::string_view member = text::TrimOws(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("resource attribute \"" +
                                     std::string(member) + "\" has no '='");
    }
    std::string_view key = text::TrimOws(member.substr(0, eq));
    if (key.empty()) {
      return Status::InvalidArgument("resource attribute \"" +
                                     std::string(member) +
                                     "\" has an empty key");
    }
    auto value = text::PercentDecode(text::TrimOws(member.substr(eq + 1)));
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
