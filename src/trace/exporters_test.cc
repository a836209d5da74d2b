#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kafkatrace/console_span_exporter.h"
#include "kafkatrace/json_lines_span_exporter.h"
#include "support/test_tracing.h"

namespace kafkatrace {
namespace {

std::unique_ptr<SpanData> RichSpan() {
  auto span = std::make_unique<SpanData>();
  span->context =
      SpanContext(TraceId::FromHex("4bf92f3577b34da6a3ce929d0e0e4736").value(),
                  SpanId::FromHex("00f067aa0ba902b7").value(), 3, false,
                  TraceState::Parse("a=1").value());
  span->parent_span_id = SpanId::FromHex("1111111111111111").value();
  span->name = "send \"orders\"\n";
  span->kind = SpanKind::kProducer;
  span->start_unix_nanos = 1'700'000'000'000'000'000;
  span->end_unix_nanos = 1'700'000'000'001'500'000;
  span->attributes = {{"messaging.system", std::string("kafka")},
                      {"n", int64_t{-5}},
                      {"ok", true},
                      {"ratio", 0.5},
                      {"tags", std::vector<std::string>{"a", "b"}},
                      {"bad.utf8", std::string("\xff\xfe")}};
  span->events.push_back(
      {"exception", 5, {{"exception.type", std::string("E")}}, 0});
  span->links.push_back({span->context, {{"k", int64_t{1}}}, 0});
  span->status_code = SpanStatusCode::kError;
  span->status_message = "failed";
  return span;
}

TEST(JsonLinesSpanExporterTest, WritesOneParsableLinePerSpan) {
  char path[] = "/tmp/kafkatrace-jsonl-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  auto exporter = JsonLinesSpanExporter::Open(path);
  ASSERT_TRUE(exporter.ok());
  std::unique_ptr<SpanData> batch[2] = {RichSpan(), RichSpan()};
  EXPECT_EQ((*exporter)->Export(batch, testing::SecondsFromNow(1)),
            ExportResult::kSuccess);
  ASSERT_TRUE((*exporter)->ForceFlush(testing::SecondsFromNow(1)));
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736");
    EXPECT_EQ(j["spanId"], "00f067aa0ba902b7");
    EXPECT_EQ(j["parentSpanId"], "1111111111111111");
    EXPECT_EQ(j["traceState"], "a=1");
    EXPECT_EQ(j["name"], "send \"orders\"\n");
    EXPECT_EQ(j["kind"], "PRODUCER");
    EXPECT_EQ(j["startTimeUnixNano"], "1700000000000000000");
    EXPECT_EQ(j["attributes"]["n"], -5);
    EXPECT_EQ(j["attributes"]["ratio"], 0.5);
    EXPECT_EQ(j["attributes"]["tags"][1], "b");
    EXPECT_EQ(j["attributes"]["bad.utf8"], "\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(j["events"][0]["name"], "exception");
    EXPECT_EQ(j["links"][0]["attributes"]["k"], 1);
    EXPECT_EQ(j["status"]["code"], 2);
    EXPECT_EQ(j["status"]["message"], "failed");
  }
  EXPECT_EQ(lines, 2);
  unlink(path);
}

TEST(JsonLinesSpanExporterTest, UnwritablePathIsAClearError) {
  auto exporter = JsonLinesSpanExporter::Open("/nonexistent-dir/spans.jsonl");
  ASSERT_FALSE(exporter.ok());
  EXPECT_NE(exporter.status().message().find("/nonexistent-dir/spans.jsonl"),
            std::string::npos);
}

TEST(ConsoleSpanExporterTest, PrintsNameIdsDurationAndAttributes) {
  std::ostringstream out;
  ConsoleSpanExporter exporter(&out);
  std::unique_ptr<SpanData> batch[1] = {RichSpan()};
  EXPECT_EQ(exporter.Export(batch, testing::SecondsFromNow(1)),
            ExportResult::kSuccess);
  std::string text = out.str();
  EXPECT_NE(text.find("[PRODUCER] trace=4bf92f3577b34da6a3ce929d0e0e4736"),
            std::string::npos);
  EXPECT_NE(text.find("1.500 ms"), std::string::npos);
  EXPECT_NE(text.find("messaging.system = \"kafka\""), std::string::npos);
  EXPECT_NE(text.find("ERROR failed"), std::string::npos);
}

}  // namespace
}  // namespace kafkatrace
