// The OTLP/HTTP exporter over https: a private CA
// (OTEL_EXPORTER_OTLP_CERTIFICATE) and mutual TLS (..._CLIENT_CERTIFICATE,
// ..._CLIENT_KEY), against httplib's TLS server with certificates made by the
// openssl command for each run.
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "kafkatrace/otlp/otlp_http_exporter.h"
#include "support/rich_span.h"

namespace kafkatrace {
namespace {

using std::chrono::milliseconds;

// A CA, a server certificate for 127.0.0.1 and a client certificate, all
// signed by the CA, plus a second CA that signed nothing here.
class TestPki {
 public:
  TestPki() {
    char dir[] = "/tmp/kafkatrace-tls-XXXXXX";
    dir_ = mkdtemp(dir);
    std::ofstream(Path("server.ext")) << "subjectAltName=IP:127.0.0.1\n";
    std::ofstream(Path("client.ext")) << "extendedKeyUsage=clientAuth\n";
    const std::string key = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1";
    ok_ = Run("req -x509 -nodes -days 2 -subj /CN=kafkatrace-test-ca" + key +
              " -keyout ca.key -out ca.pem") &&
          Run("req -x509 -nodes -days 2 -subj /CN=other-ca" + key +
              " -keyout other.key -out other.pem") &&
          Issue("server", key) && Issue("client", key);
  }
  ~TestPki() { std::filesystem::remove_all(dir_); }
  bool ok() const { return ok_; }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  bool Run(const std::string& args) const {
    const std::string command =
        "cd " + dir_ + " && openssl " + args + " >/dev/null 2>&1";
    return std::system(command.c_str()) == 0;
  }
  bool Issue(const std::string& name, const std::string& key) const {
    return Run("req -nodes -subj /CN=" + name + key + " -keyout " + name +
               ".key -out " + name + ".csr") &&
           Run("x509 -req -days 2 -in " + name +
               ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -extfile " +
               name + ".ext -out " + name + ".pem");
  }
  std::string dir_;
  bool ok_ = false;
};

// An https OTLP receiver counting the spans requests it answered 200.
class TlsReceiver {
 public:
  TlsReceiver(const TestPki& pki, bool require_client_certificate)
      : server_(
            pki.Path("server.pem").c_str(), pki.Path("server.key").c_str(),
            require_client_certificate ? pki.Path("ca.pem").c_str() : nullptr) {
    server_.Post("/v1/traces",
                 [this](const httplib::Request&, httplib::Response& res) {
                   ++requests_;
                   res.status = 200;
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // httplib 0.11 has no wait_until_ready(); poll its flag, bounded.
    for (int i = 0; i < 10000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(milliseconds(1));
  }
  ~TlsReceiver() {
    server_.stop();
    thread_.join();
  }
  bool valid() const { return server_.is_valid() && port_ > 0; }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(port_) + "/v1/traces";
  }
  int requests() const { return requests_; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

ExportResult ExportOne(OtlpHttpExporterOptions options) {
  options.max_attempts = 1;  // a TLS failure does not heal by retrying
  auto exporter = OtlpHttpExporter::Create(std::move(options));
  EXPECT_TRUE(exporter.ok()) << exporter.status().message();
  if (!exporter.ok()) return ExportResult::kFailure;
  std::vector<std::unique_ptr<SpanData>> batch;
  batch.push_back(testing::RichSpan());
  return (*exporter)->Export(
      batch, std::chrono::steady_clock::now() + milliseconds(5000));
}

TEST(OtlpTlsTest, TrustsTheConfiguredCaAndOnlyThat) {
  TestPki pki;
  ASSERT_TRUE(pki.ok()) << "openssl could not make the test certificates";
  TlsReceiver receiver(pki, /*require_client_certificate=*/false);
  ASSERT_TRUE(receiver.valid());
  EXPECT_EQ(ExportOne({.endpoint = receiver.url(),
                       .certificate = pki.Path("ca.pem")}),
            ExportResult::kSuccess);
  EXPECT_EQ(receiver.requests(), 1);
  // The system store does not know the test CA, nor does another CA.
  EXPECT_EQ(ExportOne({.endpoint = receiver.url()}), ExportResult::kFailure);
  EXPECT_EQ(ExportOne({.endpoint = receiver.url(),
                       .certificate = pki.Path("other.pem")}),
            ExportResult::kFailure);
  EXPECT_EQ(receiver.requests(), 1);
}

TEST(OtlpTlsTest, PresentsTheClientCertificateForMutualTls) {
  TestPki pki;
  ASSERT_TRUE(pki.ok()) << "openssl could not make the test certificates";
  TlsReceiver receiver(pki, /*require_client_certificate=*/true);
  ASSERT_TRUE(receiver.valid());
  EXPECT_EQ(ExportOne({.endpoint = receiver.url(),
                       .certificate = pki.Path("ca.pem")}),
            ExportResult::kFailure);
  EXPECT_EQ(receiver.requests(), 0);
  EXPECT_EQ(ExportOne({.endpoint = receiver.url(),
                       .certificate = pki.Path("ca.pem"),
                       .client_certificate = pki.Path("client.pem"),
                       .client_key = pki.Path("client.key")}),
            ExportResult::kSuccess);
  EXPECT_EQ(receiver.requests(), 1);
  // The key may follow the certificate in one file.
  {
    std::ofstream combined(pki.Path("client-and-key.pem"));
    combined << std::ifstream(pki.Path("client.pem")).rdbuf()
             << std::ifstream(pki.Path("client.key")).rdbuf();
  }
  EXPECT_EQ(ExportOne({.endpoint = receiver.url(),
                       .certificate = pki.Path("ca.pem"),
                       .client_certificate = pki.Path("client-and-key.pem")}),
            ExportResult::kSuccess);
  EXPECT_EQ(receiver.requests(), 2);
}

class OtlpTlsEnvTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"OTEL_EXPORTER_OTLP_CERTIFICATE",
                             "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                             "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                             "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                             "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                             "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY"}) {
      unsetenv(name);
    }
  }
};

TEST_F(OtlpTlsEnvTest, FilesComeFromTheEnvironmentSignalSpecificFirst) {
  TestPki pki;
  ASSERT_TRUE(pki.ok());
  setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", pki.Path("other.pem").c_str(), 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", pki.Path("ca.pem").c_str(),
         1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
         pki.Path("client.pem").c_str(), 1);
  setenv("OTEL_EXPORTER_OTLP_CLIENT_KEY", pki.Path("client.key").c_str(), 1);
  auto options = OtlpHttpExporterOptions::FromEnv();
  ASSERT_TRUE(options.ok()) << options.status().message();
  EXPECT_EQ(options->certificate, pki.Path("ca.pem"));
  EXPECT_EQ(options->client_certificate, pki.Path("client.pem"));
  EXPECT_EQ(options->client_key, pki.Path("client.key"));
}

TEST_F(OtlpTlsEnvTest, UnreadableFilesAndAKeyWithoutCertificateAreClearErrors) {
  setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem", 1);
  auto missing = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(),
            "OTLP CA certificate \"/nonexistent/ca.pem\" cannot be read: No "
            "such file or directory");
  unsetenv("OTEL_EXPORTER_OTLP_CERTIFICATE");
  setenv("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/hostname", 1);
  auto key_only = OtlpHttpExporterOptions::FromEnv();
  ASSERT_FALSE(key_only.ok());
  EXPECT_NE(key_only.status().message().find("without a client certificate"),
            std::string::npos);
}

}  // namespace
}  // namespace kafkatrace
