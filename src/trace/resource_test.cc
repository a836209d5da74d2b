#include "kafkatrace/resource.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace kafkatrace {
namespace {

class ResourceEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("OTEL_RESOURCE_ATTRIBUTES");
    unsetenv("OTEL_SERVICE_NAME");
  }
};

TEST_F(ResourceEnvTest, DefaultHasSdkAttributesAndUnknownService) {
  auto resource = Resource::FromEnv();
  ASSERT_TRUE(resource.ok());
  EXPECT_EQ(resource->service_name().rfind("unknown_service:", 0), 0u);
  EXPECT_EQ(std::get<std::string>(*FindAttribute(resource->attributes(),
                                                 "telemetry.sdk.language")),
            "cpp");
  EXPECT_NE(FindAttribute(resource->attributes(), "telemetry.sdk.version"),
            nullptr);
}

TEST_F(ResourceEnvTest, AttributesPercentDecodedAndServiceNameWins) {
  setenv("OTEL_RESOURCE_ATTRIBUTES",
         "service.name=from-list, deployment.environment=prod%20eu ,team=a%2Cb",
         1);
  auto listed = Resource::FromEnv();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->service_name(), "from-list");
  EXPECT_EQ(std::get<std::string>(
                *FindAttribute(listed->attributes(), "deployment.environment")),
            "prod eu");
  EXPECT_EQ(std::get<std::string>(*FindAttribute(listed->attributes(), "team")),
            "a,b");
  setenv("OTEL_SERVICE_NAME", "orders", 1);
  EXPECT_EQ(Resource::FromEnv()->service_name(), "orders");
}

TEST_F(ResourceEnvTest, MalformedListIsAnError) {
  setenv("OTEL_RESOURCE_ATTRIBUTES", "novalue", 1);
  auto bad = Resource::FromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("OTEL_RESOURCE_ATTRIBUTES"),
            std::string::npos);
  setenv("OTEL_RESOURCE_ATTRIBUTES", "k=%zz", 1);
  EXPECT_FALSE(Resource::FromEnv().ok());
}

}  // namespace
}  // namespace kafkatrace
