#include <gtest/gtest.h>
#include <stdlib.h>

#include "kafkatrace/tracer_provider.h"

namespace kafkatrace {
namespace {

class ProviderEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name :
         {"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER",
          "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_SERVICE_NAME",
          "OTEL_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
          "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT"}) {
      unsetenv(name);
    }
  }
};

TEST_F(ProviderEnvTest, DisabledSdkRecordsNothingButPropagates) {
  setenv("OTEL_SDK_DISABLED", "TRUE", 1);
  auto options = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(options.ok());
  EXPECT_TRUE(options->processors.empty());
  TracerProvider provider(std::move(options.value()));
  Span span = provider.GetTracer("t").StartSpan("op");
  EXPECT_FALSE(span.IsRecording());
  EXPECT_TRUE(span.context().IsValid());
}

// OTEL_ATTRIBUTE_* apply to spans, events and links; the specific variables
// win.
TEST_F(ProviderEnvTest, GeneralAttributeLimitsUnderSpecificOnes) {
  setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "5", 1);
  setenv("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "40", 1);
  auto general = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(general.ok()) << general.status().message();
  EXPECT_EQ(general->limits.max_attributes, 5u);
  EXPECT_EQ(general->limits.max_attributes_per_event, 5u);
  EXPECT_EQ(general->limits.max_attributes_per_link, 5u);
  EXPECT_EQ(general->limits.max_attribute_value_length, 40u);
  EXPECT_EQ(general->limits.max_events, SpanLimits{}.max_events);
  setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "9", 1);
  setenv("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT", "3", 1);
  auto specific = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(specific.ok());
  EXPECT_EQ(specific->limits.max_attributes, 9u);
  EXPECT_EQ(specific->limits.max_attributes_per_event, 3u);
  EXPECT_EQ(specific->limits.max_attributes_per_link, 5u);
  setenv("OTEL_ATTRIBUTE_COUNT_LIMIT", "many", 1);
  EXPECT_FALSE(TracerProviderOptions::FromEnv().ok());
}

TEST_F(ProviderEnvTest, ConsoleAndNoneExporters) {
  setenv("OTEL_TRACES_EXPORTER", "console", 1);
  setenv("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "7", 1);
  setenv("OTEL_SERVICE_NAME", "svc", 1);
  auto console = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(console.ok());
  EXPECT_EQ(console->processors.size(), 1u);
  EXPECT_EQ(console->limits.max_attributes, 7u);
  EXPECT_EQ(console->resource.service_name(), "svc");
  setenv("OTEL_TRACES_EXPORTER", "none", 1);
  auto none = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->processors.empty());
}

TEST_F(ProviderEnvTest, OtlpIsTheDefaultExporter) {
  auto options = TracerProviderOptions::FromEnv();
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->processors.size(), 1u);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", 1);
  auto bad = TracerProviderOptions::FromEnv();
  unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("collector:4318"), std::string::npos);
}

TEST_F(ProviderEnvTest, ErrorsNameTheProblem) {
  setenv("OTEL_TRACES_EXPORTER", "zipkinish", 1);
  auto bad = TracerProviderOptions::FromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("zipkinish"), std::string::npos);
  setenv("OTEL_TRACES_EXPORTER", "none", 1);
  setenv("OTEL_SDK_DISABLED", "maybe", 1);
  auto bad_bool = TracerProviderOptions::FromEnv();
  ASSERT_FALSE(bad_bool.ok());
  EXPECT_NE(bad_bool.status().message().find("OTEL_SDK_DISABLED"),
            std::string::npos);
}

}  // namespace
}  // namespace kafkatrace
