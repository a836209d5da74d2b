// TracerProviderOptions::FromEnv sits above the core because it chooses
// exporters, and the OTLP exporter lives in its own module.
#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "kafkatrace/tracer_provider.h"
#include "trace/env.h"

namespace kafkatrace {
namespace {

Result<uint32_t> LimitFromEnv(const char* name, uint32_t fallback) {
  auto value = env::Uint(name, fallback);
  if (!value.ok()) return value.status();
  if (*value > UINT32_MAX)
    return Status::InvalidArgument(std::string(name) + " is too large");
  return static_cast<uint32_t>(*value);
}

// The general attribute limits (OTEL_ATTRIBUTE_*) apply to spans, events and
// links alike; a span-, event- or link-specific variable takes precedence.
Result<SpanLimits> SpanLimitsFromEnv() {
  SpanLimits limits;
  auto count =
      LimitFromEnv("OTEL_ATTRIBUTE_COUNT_LIMIT", limits.max_attributes);
  if (!count.ok()) return count.status();
  auto length = LimitFromEnv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
                             limits.max_attribute_value_length);
  if (!length.ok()) return length.status();
  limits.max_attributes = limits.max_attributes_per_event =
      limits.max_attributes_per_link = *count;
  limits.max_attribute_value_length = *length;
  struct Field {
    const char* name;
    uint32_t* value;
  };
  const Field fields[] = {
      {"OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", &limits.max_attributes},
      {"OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
       &limits.max_attribute_value_length},
      {"OTEL_SPAN_EVENT_COUNT_LIMIT", &limits.max_events},
      {"OTEL_SPAN_LINK_COUNT_LIMIT", &limits.max_links},
      {"OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", &limits.max_attributes_per_event},
      {"OTEL_LINK_ATTRIBUTE_COUNT_LIMIT", &limits.max_attributes_per_link},
  };
  for (const Field& field : fields) {
    auto value = LimitFromEnv(field.name, *field.value);
    if (!value.ok()) return value.status();
    *field.value = *value;
  }
  return limits;
}

}  // namespace

Result<TracerProviderOptions> TracerProviderOptions::FromEnv() {
  TracerProviderOptions options;
  auto disabled = env::Bool("OTEL_SDK_DISABLED", false);
  if (!disabled.ok()) return disabled.status();
  if (*disabled) {
    // A disabled SDK still hands out valid, non-recording spans so propagation
    // keeps working.
    options.sampler = std::make_unique<AlwaysOffSampler>();
    return options;
  }
  auto resource = Resource::FromEnv();
  if (!resource.ok()) return resource.status();
  options.resource = std::move(resource.value());
  auto sampler = SamplerFromEnv();
  if (!sampler.ok()) return sampler.status();
  options.sampler = std::move(sampler.value());
  auto limits = SpanLimitsFromEnv();
  if (!limits.ok()) return limits.status();
  options.limits = *limits;

  std::string exporters =
      env::Lowercase(env::Get("OTEL_TRACES_EXPORTER").value_or("otlp"));
  size_t start = 0;
  while (start <= exporters.size()) {
    size_t comma = exporters.find(',', start);
    std::string name = exporters.substr(start, comma - start);
    start = comma == std::string::npos ? exporters.size() + 1 : comma + 1;
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    std::unique_ptr<SpanExporter> exporter;
    if (name == "none" || name.empty()) {
      continue;
    } else if (name == "console" || name == "logging") {
      exporter = std::make_unique<ConsoleSpanExporter>();
    } else if (name == "otlp") {
      auto otlp_options = OtlpHttpExporterOptions::FromEnv();
      if (!otlp_options.ok()) return otlp_options.status();
      auto otlp = OtlpHttpExporter::Create(std::move(otlp_options.value()));
      if (!otlp.ok()) return otlp.status();
      exporter = std::move(otlp.value());
    } else {
      return Status::InvalidArgument("OTEL_TRACES_EXPORTER=\"" + exporters +
                                     "\": unknown exporter \"" + name +
                                     "\" (expected otlp, console or none)");
    }
    auto bsp = BatchSpanProcessorOptions::FromEnv();
    if (!bsp.ok()) return bsp.status();
    options.processors.push_back(
        std::make_unique<BatchSpanProcessor>(std::move(exporter), *bsp));
  }
  return options;
}

}  // namespace kafkatrace
