#include "otlp/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace kafkatrace::otlp {
namespace {

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  constexpr size_t kMaxBody =
      1 << 20;  // responses are tiny; never buffer a huge one
  if (body->size() < kMaxBody)
    body->append(data, std::min(size * count, kMaxBody - body->size()));
  return size * count;
}

// The value of header `line` if its name is `lower_name` (any letter case),
// without surrounding whitespace or the line end.
std::optional<std::string_view> HeaderValue(std::string_view line,
                                            std::string_view lower_name) {
  if (line.size() <= lower_name.size() || line[lower_name.size()] != ':')
    return std::nullopt;
  for (size_t i = 0; i < lower_name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != lower_name[i])
      return std::nullopt;
  }
  std::string_view value = line.substr(lower_name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' ||
                            value.back() == ' ')) {
    value.remove_suffix(1);
  }
  return value;
}

// Called for every header line, and with HTTP/2 for the trailers too.
size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::string_view line(data, size * count);
  if (auto v = HeaderValue(line, "retry-after")) {
    response->retry_after = std::string(*v);
  } else if (auto status = HeaderValue(line, "grpc-status")) {
    int code = 0;
    auto [end, ec] =
        std::from_chars(status->data(), status->data() + status->size(), code);
    if (ec == std::errc() && end == status->data() + status->size())
      response->grpc_status = code;
  } else if (auto message = HeaderValue(line, "grpc-message")) {
    response->grpc_message = std::string(*message);
  } else if (auto details = HeaderValue(line, "grpc-status-details-bin")) {
    response->grpc_status_details = std::string(*details);
  }
  return size * count;
}

}  // namespace

HttpClient::HttpClient(TlsFiles tls) : tls_(std::move(tls)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

HttpResponse HttpClient::Post(
    const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body, std::chrono::milliseconds timeout,
    HttpVersion version) {
  HttpResponse response;
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    response.error = "libcurl could not be initialized";
    return response;
  }
  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : headers) {
    header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
  }
  header_list =
      curl_slist_append(header_list, "Expect:");  // no 100-continue round trip

  curl_easy_reset(curl);  // keeps the connection cache: keep-alive survives
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, timeout.count())));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<int64_t>(1, timeout.count())));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // we run on a worker thread
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  if (version == HttpVersion::kHttp2) {
    // gRPC: h2c straight away for http://, ALPN h2 for https://.
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
                     static_cast<long>(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE));
    // libcurl before 8.0 fails every request on a reused h2c connection
    // ("Error in the HTTP2 framing layer", curl/curl#10634): a connection
    // per request there.
    static const bool h2c_reuse_broken =
        curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
    if (h2c_reuse_broken && url.starts_with("http://"))
      curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  }
  if (!tls_.ca.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls_.ca.c_str());
  if (!tls_.client_certificate.empty()) {
    curl_easy_setopt(curl, CURLOPT_SSLCERT, tls_.client_certificate.c_str());
    if (!tls_.client_key.empty())
      curl_easy_setopt(curl, CURLOPT_SSLKEY, tls_.client_key.c_str());
  }

  CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  if (code != CURLE_OK) {
    response.error = curl_easy_strerror(code);
    response.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    return response;
  }
  response.transport_ok = true;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace kafkatrace::otlp
