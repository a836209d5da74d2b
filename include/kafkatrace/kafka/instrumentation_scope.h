// The instrumentation scope of kafkatrace's Kafka spans. OpenTelemetry asks an
// instrumentation library for a scope of its own, with the schema URL of the
// semantic conventions it follows: backends then tell its spans from the
// application's, and collectors can translate its attribute names between
// versions of the conventions (v1.45 renamed several messaging.kafka.*).
#pragma once

#include <string_view>

namespace kafkatrace {
class Tracer;
class TracerProvider;
}  // namespace kafkatrace

namespace kafkatrace::kafka {

inline constexpr std::string_view kInstrumentationName = "kafkatrace.kafka";
// The messaging semantic conventions the spans follow (v1.44).
inline constexpr std::string_view kSemconvSchemaUrl =
    "https://opentelemetry.io/schemas/1.44.0";

// `provider`'s tracer for that scope, at this library's version. Thread-safe;
// the reference lives as long as `provider`.
Tracer& InstrumentationTracer(TracerProvider& provider);

}  // namespace kafkatrace::kafka
