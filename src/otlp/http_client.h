// A blocking HTTP POST client over one reused libcurl handle (keep-alive;
// TLS with the system CA store or the given files). Not thread-safe: one caller
// at a time.
#pragma once

#include <chrono>
#include <memory>
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
};

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
      const std::string& body, std::chrono::milliseconds timeout);

 private:
  void* curl_;  // CURL*, owned
  TlsFiles tls_;
};

}  // namespace kafkatrace::otlp
