// A blocking HTTP POST client over one reused libcurl handle (keep-alive;
// TLS with the system CA store or the given files), speaking HTTP/1.1 or, for
// gRPC, HTTP/2 (cleartext with prior knowledge, or negotiated over TLS). Not
// thread-safe: one caller at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kafkatrace::otlp {

struct HttpResponse {
  bool transport_ok =
      false;  // false: no HTTP response (refused, DNS, TLS, timeout)
  bool timed_out = false;
  long status = 0;
  std::string body;
  std::string error;        // transport error text
  std::string retry_after;  // Retry-After header value, if any
  // gRPC's grpc-status and grpc-message, from the headers or the trailers;
  // the message as sent (percent-encoded).
  std::optional<int> grpc_status;
  std::string grpc_message;
  std::string grpc_status_details;  // grpc-status-details-bin, as sent (base64)
};

enum class HttpVersion { kHttp1, kHttp2 };

// PEM files for https; empty: libcurl's defaults (the system CA store, no
// client certificate).
struct TlsFiles {
  std::string ca;
  std::string client_certificate;
  std::string client_key;
};

class HttpClient {
 public:
  explicit HttpClient(TlsFiles tls = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Post(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body, std::chrono::milliseconds timeout,
      HttpVersion version = HttpVersion::kHttp1);

 private:
  void* curl_;  // CURL*, owned
  TlsFiles tls_;
};

}  // namespace kafkatrace::otlp
