// The OTLP/HTTP exporter against a loopback receiver: delivery, headers, gzip,
// and faults.
#include "kafkatrace/otlp/otlp_http_exporter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <future>

#include "kafkatrace/batch_span_processor.h"
#include "kafkatrace/tracer_provider.h"
#include "support/otlp_receiver.h"
#include "support/proto_tree.h"
#include "support/rich_span.h"

namespace kafkatrace {
namespace {

using std::chrono::milliseconds;
using testing::OtlpReceiver;
using testing::ProtoMessage;

std::vector<std::unique_ptr<SpanData>> Batch(int n) {
  std::vector<std::unique_ptr<SpanData>> batch;
  for (int i = 0; i < n; ++i) batch.push_back(testing::RichSpan());
  return batch;
}

Deadline In(milliseconds ms) { return std::chrono::steady_clock::now() + ms; }

size_t SpansIn(const std::string& body) {
  size_t n = 0;
  for (const auto& rs : ProtoMessage::Parse(body).Subs(1)) {
    for (const auto& ss : rs.Subs(2)) n += ss.Subs(2).size();
  }
  return n;
}

std::unique_ptr<OtlpHttpExporter> MakeExporter(
    OtlpHttpExporterOptions options) {
  options.initial_backoff = milliseconds(10);
  options.max_backoff = milliseconds(40);
  auto exporter = OtlpHttpExporter::Create(std::move(options));
  EXPECT_TRUE(exporter.ok()) << exporter.status().message();
  return std::move(exporter.value());
}

TEST(OtlpHttpExporterTest, PostsProtobufWithHeadersAndGzip) {
  OtlpReceiver receiver;
  auto exporter =
      MakeExporter({.endpoint = receiver.url(),
                    .compression = OtlpHttpExporterOptions::Compression::kGzip,
                    .headers = {{"api-key", "secret-123"}}});
  auto batch = Batch(3);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_type, "application/x-protobuf");
  EXPECT_EQ(requests[0].content_encoding, "gzip");
  EXPECT_EQ(requests[0].headers.find("api-key")->second, "secret-123");
  // OTLP: exporters SHOULD send a User-Agent naming exporter, language and
  // version.
  ASSERT_EQ(requests[0].headers.count("User-Agent"), 1u);
  EXPECT_EQ(requests[0].headers.find("User-Agent")->second,
            "kafkatrace-OTLP-Exporter-Cpp/" KAFKATRACE_VERSION);
  EXPECT_EQ(SpansIn(requests[0].body), 3u);
  EXPECT_EQ(exporter->stats().spans_exported, 3u);
}

TEST(OtlpHttpExporterTest, AConfiguredUserAgentIsTheOnlyOne) {
  OtlpReceiver receiver;
  auto exporter = MakeExporter(
      {.endpoint = receiver.url(), .headers = {{"user-agent", "mine/2"}}});
  auto batch = Batch(1);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_EQ(requests[0].headers.count("User-Agent"), 1u);  // case-insensitive
  EXPECT_EQ(requests[0].headers.find("User-Agent")->second, "mine/2");
}

TEST(OtlpHttpExporterTest, ConfiguredBodyHeadersDoNotContradictTheBody) {
  OtlpReceiver receiver;
  auto exporter =
      MakeExporter({.endpoint = receiver.url(),
                    .compression = OtlpHttpExporterOptions::Compression::kGzip,
                    .headers = {{"content-type", "text/plain"},
                                {"Content-Encoding", "br"}}});
  auto batch = Batch(2);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.count("Content-Type"), 1u);
  EXPECT_EQ(requests[0].content_type, "application/x-protobuf");
  EXPECT_EQ(requests[0].content_encoding, "gzip");
  EXPECT_EQ(SpansIn(requests[0].body), 2u);
}

TEST(OtlpHttpExporterTest, PostsJson) {
  OtlpReceiver receiver;
  auto exporter =
      MakeExporter({.endpoint = receiver.url(),
                    .protocol = OtlpHttpExporterOptions::Protocol::kHttpJson});
  auto batch = Batch(1);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].content_type, "application/json");
  EXPECT_NE(
      requests[0].body.find("\"traceId\":\"4bf92f3577b34da6a3ce929d0e0e4736\""),
      std::string::npos);
}

TEST(OtlpHttpExporterTest, ReceiverNotListeningFailsAndCounts) {
  int port;
  {
    OtlpReceiver gone;  // learn a free port, then close it
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  auto exporter = MakeExporter(
      {.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces",
       .timeout = milliseconds(2000),
       .max_attempts = 3});
  auto batch = Batch(2);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kFailure);
  auto stats = exporter->stats();
  EXPECT_EQ(stats.spans_failed, 2u);
  EXPECT_EQ(stats.requests_retried, 2u);  // connection refused is retryable
  EXPECT_EQ(stats.requests_failed, 1u);
}

TEST(OtlpHttpExporterTest, Retries503ThenSucceedsWithoutDuplicates) {
  OtlpReceiver receiver;
  receiver.Script({{.status = 503}, {.status = 503}});
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  auto batch = Batch(4);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  int accepted = 0;
  for (const auto& r : requests) accepted += r.answered_status == 200;
  EXPECT_EQ(accepted, 1);  // the backend stored the batch exactly once
  auto stats = exporter->stats();
  EXPECT_EQ(stats.spans_exported, 4u);
  EXPECT_EQ(stats.requests_retried, 2u);
  EXPECT_EQ(stats.spans_failed, 0u);
}

TEST(OtlpHttpExporterTest, BadRequestIsNotRetried) {
  OtlpReceiver receiver;
  receiver.Script({{.status = 400}});
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  auto batch = Batch(2);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kFailure);
  EXPECT_EQ(receiver.requests().size(), 1u);
  auto stats = exporter->stats();
  EXPECT_EQ(stats.spans_failed, 2u);
  EXPECT_EQ(stats.requests_retried, 0u);
}

// The receiver's google.rpc.Status says why; the log line says it too.
TEST(OtlpHttpExporterTest, TheFailureLogNamesTheReceiversReason) {
  for (auto protocol : {OtlpHttpExporterOptions::Protocol::kHttpProtobuf,
                        OtlpHttpExporterOptions::Protocol::kHttpJson}) {
    const bool json = protocol == OtlpHttpExporterOptions::Protocol::kHttpJson;
    OtlpReceiver receiver;
    receiver.Script(
        {{.status = 400,
          .body = json ? R"({"code":3,"message":"span has no valid trace id"})"
                       : std::string("\x08\x03\x12\x1aspan has no valid "
                                     "trace id",
                                     30)}});
    auto exporter =
        MakeExporter({.endpoint = receiver.url(), .protocol = protocol});
    auto batch = Batch(1);
    ::testing::internal::CaptureStderr();
    EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
              ExportResult::kFailure);
    const std::string log = ::testing::internal::GetCapturedStderr();
    EXPECT_NE(log.find("HTTP 400: span has no valid trace id"),
              std::string::npos)
        << log;
  }
}

TEST(OtlpHttpExporterTest, HonoursRetryAfter) {
  OtlpReceiver receiver;
  receiver.Script({{.status = 429, .retry_after = "1"}});
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  auto batch = Batch(1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(950));
  EXPECT_EQ(receiver.requests().size(), 2u);
}

TEST(OtlpHttpExporterTest, RetryAfterBeyondDeadlineGivesUp) {
  OtlpReceiver receiver;
  receiver.Script({{.status = 503, .retry_after = "60"}});
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  auto batch = Batch(1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(2000))),
            ExportResult::kFailure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
}

TEST(OtlpHttpExporterTest, PartialSuccessCountsRejectedSpans) {
  OtlpReceiver receiver;
  receiver.Script({{.status = 200,
                    .body = std::string("\x0a\x07\x08\x02\x12\x03"
                                        "bad",
                                        9)}});
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  auto batch = Batch(5);
  EXPECT_EQ(exporter->Export(batch, In(milliseconds(5000))),
            ExportResult::kSuccess);
  auto stats = exporter->stats();
  EXPECT_EQ(stats.spans_rejected, 2u);
  EXPECT_EQ(stats.spans_exported, 3u);
}

// A receiver that never answers: the export gives up at its timeout, and the
// application threads ending spans through a batch processor never wait for it.
TEST(OtlpHttpExporterTest, HungReceiverTimesOutAndNeverBlocksTheApplication) {
  OtlpReceiver receiver;
  receiver.Script({{.hang = true}, {.hang = true}, {.hang = true}});
  auto exporter =
      MakeExporter({.endpoint = receiver.url(), .timeout = milliseconds(300)});
  OtlpHttpExporter* raw = exporter.get();
  auto batch = Batch(1);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(raw->Export(batch, In(milliseconds(10000))),
            ExportResult::kFailure);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));

  TracerProviderOptions options;
  options.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::move(exporter),
      BatchSpanProcessorOptions{.max_queue_size = 64,
                                .max_export_batch_size = 8,
                                .schedule_delay = milliseconds(5)}));
  TracerProvider provider(std::move(options));
  Tracer& tracer = provider.GetTracer("test");
  auto app = std::async(std::launch::async, [&] {
    for (int i = 0; i < 20000; ++i) tracer.StartSpan("op").End();
  });
  ASSERT_EQ(app.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  receiver.Release();
}

TEST(OtlpHttpExporterTest, ShutdownExportsPendingSpansWithinDeadline) {
  OtlpReceiver receiver;
  auto exporter = MakeExporter({.endpoint = receiver.url()});
  TracerProviderOptions options;
  options.processors.push_back(std::make_unique<BatchSpanProcessor>(
      std::move(exporter),
      BatchSpanProcessorOptions{.schedule_delay = std::chrono::hours(1)}));
  TracerProvider provider(std::move(options));
  for (int i = 0; i < 10; ++i)
    provider.GetTracer("test").StartSpan("pending").End();
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(provider.Shutdown(In(milliseconds(5000))));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(5000));
  size_t spans = 0;
  for (const auto& r : receiver.requests()) spans += SpansIn(r.body);
  EXPECT_EQ(spans, 10u);
}

class OtlpEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name :
         {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
          "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
          "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
          "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TIMEOUT",
          "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_INSECURE",
          "OTEL_EXPORTER_OTLP_TRACES_INSECURE"}) {
      unsetenv(name);
    }
  }
};

TEST_F(OtlpEnvTest, EndpointPathRules) {
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://localhost:4318/v1/traces");
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://collector:4318/v1/traces");
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example.com/base/", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "https://otlp.example.com/base/v1/traces");
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://other:9999/custom", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://other:9999/custom");
}

TEST_F(OtlpEnvTest, ProtocolHeadersCompressionTimeout) {
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key=abc%20def, x-team = core", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "x-team=traces", 1);
  setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500", 1);
  auto options = OtlpHttpExporterOptions::FromEnv();
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->protocol, OtlpHttpExporterOptions::Protocol::kHttpJson);
  EXPECT_EQ(options->compression, OtlpHttpExporterOptions::Compression::kGzip);
  EXPECT_EQ(options->timeout, milliseconds(2500));
  ASSERT_EQ(options->headers.size(), 2u);
  EXPECT_EQ(options->headers[0],
            (std::pair<std::string, std::string>{"api-key", "abc def"}));
  EXPECT_EQ(options->headers[1],
            (std::pair<std::string, std::string>{"x-team", "traces"}));
}

TEST_F(OtlpEnvTest, SpecificHeadersReplaceGeneralOnesWhateverTheirCase) {
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "API-Key=general,x-team=core", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "api-key=specific", 1);
  auto options = OtlpHttpExporterOptions::FromEnv();
  ASSERT_TRUE(options.ok()) << options.status().message();
  ASSERT_EQ(options->headers.size(), 2u);
  EXPECT_EQ(options->headers[0],
            (std::pair<std::string, std::string>{"x-team", "core"}));
  EXPECT_EQ(options->headers[1],
            (std::pair<std::string, std::string>{"api-key", "specific"}));
}

TEST_F(OtlpEnvTest, GrpcTakesTheEndpointAsIsOn4317) {
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  using Protocol = OtlpHttpExporterOptions::Protocol;
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->protocol, Protocol::kGrpc);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://localhost:4317");
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://collector:4317");  // no /v1/traces for gRPC
  // Without a scheme: TLS unless INSECURE says otherwise.
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "https://collector:4317");
  setenv("OTEL_EXPORTER_OTLP_INSECURE", "TRUE", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "http://collector:4317");
  setenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "false", 1);
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint,
            "https://collector:4317");
  setenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "maybe", 1);
  auto bad = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("OTEL_EXPORTER_OTLP_TRACES_INSECURE"),
            std::string::npos);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:1234", 1);
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_INSECURE");
  EXPECT_EQ(OtlpHttpExporterOptions::FromEnv()->endpoint, "http://traces:1234");
  EXPECT_EQ(OtlpHttpExporterOptions::DefaultEndpoint(Protocol::kHttpJson),
            "http://localhost:4318/v1/traces");
}

// A protocol the caller chose (the plugin's kafkatrace.otlp.protocol) reads the
// environment as OTEL_EXPORTER_OTLP_PROTOCOL naming it would: its default port
// and its rule for a base endpoint, for either signal.
TEST_F(OtlpEnvTest, AChosenProtocolReadsTheEnvironmentByItsOwnRules) {
  using Protocol = OtlpHttpExporterOptions::Protocol;
  for (OtlpSignal signal : {OtlpSignal::kTraces, OtlpSignal::kMetrics}) {
    auto grpc = OtlpHttpExporterOptions::FromEnv(signal, Protocol::kGrpc);
    ASSERT_TRUE(grpc.ok());
    EXPECT_EQ(grpc->protocol, Protocol::kGrpc);
    EXPECT_EQ(grpc->endpoint, "http://localhost:4317");
  }
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
  auto json = OtlpHttpExporterOptions::FromEnv(OtlpSignal::kMetrics,
                                               Protocol::kHttpJson);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->protocol, Protocol::kHttpJson);
  EXPECT_EQ(json->endpoint, "http://collector:4318/v1/metrics");
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", 1);
  EXPECT_EQ(
      OtlpHttpExporterOptions::FromEnv(OtlpSignal::kTraces, Protocol::kGrpc)
          ->endpoint,
      "http://collector:4318");  // no /v1/traces for gRPC
  // The variable the choice replaces is not read, so not refused either.
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", 1);
  EXPECT_TRUE(
      OtlpHttpExporterOptions::FromEnv(OtlpSignal::kTraces, Protocol::kGrpc)
          .ok());
}

TEST_F(OtlpEnvTest, MisconfigurationIsOneClearError) {
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift", 1);
  auto thrift = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(thrift.ok());
  EXPECT_NE(thrift.status().message().find("http/protobuf, http/json or grpc"),
            std::string::npos);
  unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
  setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", 1);
  auto no_scheme = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(no_scheme.ok());
  EXPECT_NE(no_scheme.status().message().find("http://"), std::string::npos);
  unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT");
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "api-key", 1);
  auto bad_header = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(bad_header.ok());
  EXPECT_NE(bad_header.status().message().find("OTEL_EXPORTER_OTLP_HEADERS"),
            std::string::npos);
  setenv("OTEL_EXPORTER_OTLP_HEADERS", "bad name=1", 1);
  EXPECT_FALSE(OtlpHttpExporterOptions::FromEnv().ok());
  unsetenv("OTEL_EXPORTER_OTLP_HEADERS");
  setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", 1);
  EXPECT_FALSE(OtlpHttpExporterOptions::FromEnv().ok());
}

}  // namespace
}  // namespace kafkatrace
