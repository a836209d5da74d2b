// A blocking HTTP POST client over one reused libcurl handle (keep-alive,
// system CA store). Not thread-safe: one caller at a time.
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

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Post(
      const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body, std::chrono::milliseconds timeout);

 private:
  void* curl_;  // CURL*, owned
};

}  // namespace kafkatrace::otlp
