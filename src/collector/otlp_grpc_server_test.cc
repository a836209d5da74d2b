// Our OTLP exporter speaking gRPC to our OTLP/gRPC receiver: the two ends
// agree on framing, compression and partial success, over several calls on
// one exporter. (Each end is also checked against python3-grpcio in
// tests/viewer/otlp_grpc_test.py.)
#include "collector/otlp_grpc_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "support/rich_span.h"

namespace kafkatrace::collector {
namespace {

class OtlpGrpcRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/kafkatrace-grpc-XXXXXX";
    dir_ = mkdtemp(dir);
    auto store = SpanStore::Open(dir_ + "/spans.db");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(store.value());
    server_ = std::make_unique<OtlpGrpcServer>(*store_);
    std::string error;
    port_ = server_->Bind("127.0.0.1", 0, &error);
    ASSERT_GT(port_, 0) << error;
    serving_ = std::thread([this] { server_->Serve(); });
  }
  void TearDown() override {
    server_->Stop();
    if (serving_.joinable()) serving_.join();
    server_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<OtlpHttpExporter> Exporter(
      OtlpHttpExporterOptions::Compression compression) {
    auto exporter = OtlpHttpExporter::Create(
        {.endpoint = "http://127.0.0.1:" + std::to_string(port_) + "/ignored",
         .protocol = OtlpHttpExporterOptions::Protocol::kGrpc,
         .compression = compression,
         .max_attempts = 1});
    EXPECT_TRUE(exporter.ok()) << exporter.status().message();
    return std::move(exporter.value());
  }

  // `n` spans of one trace with distinct span ids; with `broken`, the last
  // has an all-zero span id (rejected alone).
  static std::vector<std::unique_ptr<SpanData>> Spans(const TraceId& trace,
                                                      int n, bool broken) {
    std::vector<std::unique_ptr<SpanData>> batch;
    for (int i = 0; i < n; ++i) {
      auto span = testing::RichSpan();
      std::array<uint8_t, 8> id{};
      id[7] = static_cast<uint8_t>(i + 1);
      if (broken && i == n - 1) id[7] = 0;
      span->context = SpanContext(trace, SpanId(id), 0x01, false);
      batch.push_back(std::move(span));
    }
    return batch;
  }

  static Deadline Soon() {
    return std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }

  std::string dir_;
  std::unique_ptr<SpanStore> store_;
  std::unique_ptr<OtlpGrpcServer> server_;
  std::thread serving_;
  int port_ = 0;
};

TEST_F(OtlpGrpcRoundTripTest, ExportsAreStoredAndRejectionsCounted) {
  auto exporter = Exporter(OtlpHttpExporterOptions::Compression::kNone);
  const TraceId first = TraceId::FromHex(std::string(31, '0') + "1").value();
  auto batch = Spans(first, 3, /*broken=*/false);
  ASSERT_EQ(exporter->Export(batch, Soon()), ExportResult::kSuccess);
  EXPECT_EQ(store_->GetTrace(first.ToHex())->size(), 3u);

  // A second call on the same exporter, with one span the receiver refuses.
  const TraceId second = TraceId::FromHex(std::string(31, '0') + "2").value();
  batch = Spans(second, 4, /*broken=*/true);
  ASSERT_EQ(exporter->Export(batch, Soon()), ExportResult::kSuccess);
  EXPECT_EQ(store_->GetTrace(second.ToHex())->size(), 3u);
  const auto stats = exporter->stats();
  EXPECT_EQ(stats.spans_exported, 6u);
  EXPECT_EQ(stats.spans_rejected, 1u);
  EXPECT_EQ(stats.requests_failed, 0u);
}

TEST_F(OtlpGrpcRoundTripTest, GzipCompressedCallsInflateToTheSameSpans) {
  auto exporter = Exporter(OtlpHttpExporterOptions::Compression::kGzip);
  const TraceId trace = TraceId::FromHex(std::string(31, '0') + "3").value();
  auto batch = Spans(trace, 50, /*broken=*/false);
  ASSERT_EQ(exporter->Export(batch, Soon()), ExportResult::kSuccess);
  auto stored = store_->GetTrace(trace.ToHex());
  ASSERT_EQ(stored->size(), 50u);
  EXPECT_EQ((*stored)[0].name, "send orders");
  EXPECT_EQ((*stored)[0].service, "orders");
}

TEST_F(OtlpGrpcRoundTripTest, AStoppedServerIsAnExportFailureNotAHang) {
  auto exporter = Exporter(OtlpHttpExporterOptions::Compression::kNone);
  server_->Stop();
  serving_.join();
  server_.reset();  // closes the listening socket
  const TraceId trace = TraceId::FromHex(std::string(31, '0') + "4").value();
  auto batch = Spans(trace, 1, /*broken=*/false);
  EXPECT_EQ(exporter->Export(batch, Soon()), ExportResult::kFailure);
  EXPECT_EQ(exporter->stats().spans_failed, 1u);
  server_ = std::make_unique<OtlpGrpcServer>(*store_);  // for TearDown
}

}  // namespace
}  // namespace kafkatrace::collector
