// Resource: attributes describing the process that produces telemetry
// (service.name, telemetry.sdk.*, anything from OTEL_RESOURCE_ATTRIBUTES).
// Thread-safety: immutable value.
#pragma once

#include <string>
#include <string_view>

#include "kafkatrace/attribute_value.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

class Resource {
 public:
  Resource() = default;
  explicit Resource(Attributes attributes);

  // telemetry.sdk.{name,language,version} and service.name = `service_name`, or
  // "unknown_service:<executable>" when empty.
  static Resource Default(std::string_view service_name = {});
  // Default() overlaid with OTEL_RESOURCE_ATTRIBUTES (percent-decoded key=value
  // list) and OTEL_SERVICE_NAME, which wins over service.name from the list.
  // Malformed lists are errors.
  static Result<Resource> FromEnv();
  // Parses an OTEL_RESOURCE_ATTRIBUTES-style string.
  static Result<Attributes> ParseAttributeList(std::string_view list);

  // Attributes of `other` override ours on equal keys.
  Resource Merge(const Resource& other) const;

  const Attributes& attributes() const { return attributes_; }
  std::string service_name() const;

 private:
  Attributes attributes_;
};

}  // namespace kafkatrace
