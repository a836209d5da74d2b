#include "kafkatrace/otlp/otlp_http_exporter.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <tuple>

#include "common/text.h"
#include "kafkatrace/propagation/text_map_carrier.h"  // EqualsIgnoreAsciiCase
#include "otlp/grpc_framing.h"
#include "otlp/http_client.h"
#include "otlp/otlp_encoder.h"
#include "trace/env.h"

namespace kafkatrace {
namespace {

using Clock = std::chrono::steady_clock;

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseHeaders(
    const char* variable, std::string_view list) {
  std::vector<std::pair<std::string, std::string>> headers;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view member = text::TrimOws(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view()
                                           : list.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view name = eq == std::string_view::npos
                                ? member
                                : text::TrimOws(member.substr(0, eq));
    auto value =
        eq == std::string_view::npos
            ? std::nullopt
            : text::PercentDecode(text::TrimOws(member.substr(eq + 1)));
    if (eq == std::string_view::npos || name.empty() || !value) {
      return Status::InvalidArgument(
          std::string(variable) + ": malformed header \"" +
          std::string(member) +
          "\" (expected name=value, values percent-encoded)");
    }
    headers.emplace_back(std::string(name), std::move(*value));
  }
  return headers;
}

// Path rule of the OTLP exporter spec: the signal-agnostic endpoint is a base
// URL.
std::string AppendTracesPath(std::string base) {
  if (base.empty() || base.back() != '/') base += '/';
  return base + "v1/traces";
}

std::string Gzip(const std::string& input) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};
  }
  std::string out(deflateBound(&stream, input.size()) + 32, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string();
}

bool IsRetryableStatus(long status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// Retry-After as delta-seconds; HTTP-dates are rare from OTLP backends and are
// ignored.
std::optional<std::chrono::milliseconds> ParseRetryAfter(
    const std::string& value) {
  int64_t seconds = 0;
  auto [end, ec] =
      std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || end != value.data() + value.size() || seconds < 0)
    return std::nullopt;
  return std::chrono::milliseconds(seconds * 1000);
}

// The gRPC call's URL: the endpoint's scheme and authority, the method's path.
std::string GrpcCallUrl(std::string_view endpoint) {
  const size_t authority = endpoint.find("://") + 3;  // Validate checked it
  const size_t path = endpoint.find_first_of("/?#", authority);
  return std::string(endpoint.substr(0, path)) +
         std::string(otlp::kGrpcTraceExportPath);
}

// What the OTLP spec lets an exporter retry. RESOURCE_EXHAUSTED only comes
// retryable with a RetryInfo detail, which is not read here.
bool IsRetryableGrpcStatus(int code) {
  using namespace otlp::grpc_code;
  return code == kCancelled || code == kDeadlineExceeded || code == kAborted ||
         code == kOutOfRange || code == kUnavailable || code == kDataLoss;
}

std::string GrpcStatusName(int code) {
  static constexpr std::string_view kNames[] = {"OK",
                                                "CANCELLED",
                                                "UNKNOWN",
                                                "INVALID_ARGUMENT",
                                                "DEADLINE_EXCEEDED",
                                                "NOT_FOUND",
                                                "ALREADY_EXISTS",
                                                "PERMISSION_DENIED",
                                                "RESOURCE_EXHAUSTED",
                                                "FAILED_PRECONDITION",
                                                "ABORTED",
                                                "OUT_OF_RANGE",
                                                "UNIMPLEMENTED",
                                                "INTERNAL",
                                                "UNAVAILABLE",
                                                "DATA_LOSS",
                                                "UNAUTHENTICATED"};
  return code >= 0 && code < 17 ? std::string(kNames[code])
                                : "status " + std::to_string(code);
}

// A gRPC call's headers: the fixed ones and the call's deadline
// (grpc-timeout, at most 8 digits), so the receiver can give up on it when
// the exporter has.
std::vector<std::pair<std::string, std::string>> GrpcHeaders(
    const std::vector<std::pair<std::string, std::string>>& fixed,
    std::chrono::milliseconds remaining) {
  auto headers = fixed;
  headers.emplace_back("grpc-timeout", std::to_string(std::clamp<int64_t>(
                                           remaining.count(), 1, 99'999'999)) +
                                           "m");
  return headers;
}

// How one attempt went, whatever the protocol.
struct AttemptOutcome {
  bool delivered = false;
  std::optional<otlp::PartialSuccess> partial;  // with delivered
  std::string reason;                           // without
  bool retryable = false;
  // How long the receiver asked to wait before retrying (gRPC's RetryInfo).
  std::optional<std::chrono::milliseconds> retry_delay;
};

AttemptOutcome OutcomeOfHttp(const otlp::HttpResponse& response, bool json) {
  if (response.status >= 200 && response.status < 300) {
    return {true,
            json ? otlp::DecodeResponseJson(response.body)
                 : otlp::DecodeResponseProtobuf(response.body),
            {},
            false};
  }
  std::string reason = "HTTP " + std::to_string(response.status);
  // OTLP failure bodies are a google.rpc.Status; its message says why.
  std::string message = otlp::DecodeStatusMessage(response.body, json);
  // Otherwise a short text body (a proxy's error, say) is shown as is.
  if (message.empty() && response.body.size() < 200 &&
      std::all_of(response.body.begin(), response.body.end(),
                  [](unsigned char c) { return c >= 0x20 && c < 0x7f; }))
    message = response.body;
  if (!message.empty()) reason += ": " + message.substr(0, 300);
  return {false, std::nullopt, std::move(reason),
          IsRetryableStatus(response.status)};
}

AttemptOutcome OutcomeOfGrpc(const otlp::HttpResponse& response) {
  if (response.status != 200) {
    // Not an answer from a gRPC server (a proxy's, say): gRPC maps the HTTP
    // status, and the retryable ones are those OTLP/HTTP retries.
    return {false, std::nullopt,
            "HTTP " + std::to_string(response.status) + " to a gRPC call",
            IsRetryableStatus(response.status)};
  }
  if (!response.grpc_status) {
    return {false, std::nullopt, "the answer has no grpc-status", false};
  }
  if (*response.grpc_status == 0) {
    // One uncompressed response message (no compression was offered).
    std::optional<otlp::PartialSuccess> partial;
    if (auto message = otlp::ParseGrpcFrame(response.body);
        message && !message->compressed)
      partial = otlp::DecodeResponseProtobuf(message->bytes);
    return {true, std::move(partial), {}, false};
  }
  const int code = *response.grpc_status;
  std::string reason = "gRPC " + GrpcStatusName(code);
  if (!response.grpc_message.empty()) {
    reason += ": " + text::PercentDecode(response.grpc_message)
                         .value_or(response.grpc_message)
                         .substr(0, 300);
  }
  // A throttling receiver says when to come back in a RetryInfo detail; only
  // then is RESOURCE_EXHAUSTED worth retrying (OTLP/gRPC).
  std::optional<std::chrono::milliseconds> retry_delay;
  if (!response.grpc_status_details.empty()) {
    if (auto status = text::Base64Decode(response.grpc_status_details))
      retry_delay = otlp::DecodeRetryDelay(*status);
  }
  const bool retryable =
      IsRetryableGrpcStatus(code) ||
      (code == otlp::grpc_code::kResourceExhausted && retry_delay);
  return {false, std::nullopt, std::move(reason), retryable, retry_delay};
}

}  // namespace

Status OtlpHttpExporterOptions::Validate() const {
  std::string_view url = endpoint;
  size_t scheme_end = url.find("://");
  std::string_view scheme =
      scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" must start with http:// or https://");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
  if (host.empty() || host.front() == ':') {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" has no host");
  }
  if (url.find_first_of(" \t\r\n") != std::string_view::npos) {
    return Status::InvalidArgument("OTLP endpoint \"" + endpoint +
                                   "\" contains whitespace");
  }
  for (const auto& [name, value] : headers) {
    bool ok = !name.empty();
    for (char c : name) ok = ok && IsTokenChar(c);
    if (!ok)
      return Status::InvalidArgument("OTLP header name \"" + name +
                                     "\" is not a valid token");
    if (value.find_first_of("\r\n") != std::string::npos) {
      return Status::InvalidArgument("OTLP header \"" + name +
                                     "\" has a line break in its value");
    }
  }
  if (!client_key.empty() && client_certificate.empty()) {
    return Status::InvalidArgument("OTLP client key \"" + client_key +
                                   "\" given without a client certificate");
  }
  for (const auto& [what, path] :
       {std::pair{"CA certificate", &certificate},
        std::pair{"client certificate", &client_certificate},
        std::pair{"client key", &client_key}}) {
    if (!path->empty() && ::access(path->c_str(), R_OK) != 0) {
      return Status::InvalidArgument(
          std::string("OTLP ") + what + " \"" + *path +
          "\" cannot be read: " + std::strerror(errno));
    }
  }
  if (timeout.count() <= 0)
    return Status::InvalidArgument("OTLP timeout must be positive");
  if (max_attempts < 1)
    return Status::InvalidArgument("OTLP max_attempts must be at least 1");
  return Status::Ok();
}

std::optional<OtlpHttpExporterOptions::Protocol>
OtlpHttpExporterOptions::ProtocolNamed(std::string_view name) {
  if (name == "http/protobuf") return Protocol::kHttpProtobuf;
  if (name == "http/json") return Protocol::kHttpJson;
  if (name == "grpc") return Protocol::kGrpc;
  return std::nullopt;
}

std::string OtlpHttpExporterOptions::DefaultEndpoint(Protocol protocol) {
  return protocol == Protocol::kGrpc ? "http://localhost:4317"
                                     : "http://localhost:4318/v1/traces";
}

Result<OtlpHttpExporterOptions> OtlpHttpExporterOptions::FromEnv() {
  OtlpHttpExporterOptions options;
  // The signal-specific variable wins over the general one.
  auto pick = [](const char* specific, const char* general)
      -> std::pair<const char*, std::optional<std::string>> {
    if (auto v = env::Get(specific)) return {specific, v};
    return {general, env::Get(general)};
  };
  if (auto [name, v] = pick("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                            "OTEL_EXPORTER_OTLP_PROTOCOL");
      v) {
    const std::optional<Protocol> protocol = ProtocolNamed(*v);
    if (!protocol) {
      return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                     "\": expected http/protobuf, http/json "
                                     "or grpc");
    }
    options.protocol = *protocol;
  }
  const bool grpc = options.protocol == Protocol::kGrpc;
  options.endpoint = DefaultEndpoint(options.protocol);
  if (auto v = env::Get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    options.endpoint = *v;
  } else if (auto base = env::Get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    options.endpoint = grpc ? *base : AppendTracesPath(*base);
  }
  if (grpc && options.endpoint.find("://") == std::string::npos) {
    bool insecure = false;
    if (auto [name, v] = pick("OTEL_EXPORTER_OTLP_TRACES_INSECURE",
                              "OTEL_EXPORTER_OTLP_INSECURE");
        v) {
      if (EqualsIgnoreAsciiCase(*v, "true")) {
        insecure = true;
      } else if (!EqualsIgnoreAsciiCase(*v, "false")) {
        return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                       "\": expected true or false");
      }
    }
    options.endpoint = (insecure ? "http://" : "https://") + options.endpoint;
  }
  if (auto [name, v] = pick("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
                            "OTEL_EXPORTER_OTLP_COMPRESSION");
      v) {
    if (*v == "gzip") {
      options.compression = Compression::kGzip;
    } else if (*v == "none") {
      options.compression = Compression::kNone;
    } else {
      return Status::InvalidArgument(std::string(name) + "=\"" + *v +
                                     "\": expected gzip or none");
    }
  }
  // Both header lists apply; the specific one wins on equal names (HTTP header
  // names ignore case).
  for (const char* name :
       {"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"}) {
    if (auto v = env::Get(name)) {
      auto parsed = ParseHeaders(name, *v);
      if (!parsed.ok()) return parsed.status();
      for (auto& header : parsed.value()) {
        std::erase_if(options.headers, [&](const auto& h) {
          return EqualsIgnoreAsciiCase(h.first, header.first);
        });
        options.headers.push_back(std::move(header));
      }
    }
  }
  for (auto [specific, general, field] :
       {std::tuple{"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                   "OTEL_EXPORTER_OTLP_CERTIFICATE", &options.certificate},
        std::tuple{"OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE",
                   "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                   &options.client_certificate},
        std::tuple{"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY",
                   "OTEL_EXPORTER_OTLP_CLIENT_KEY", &options.client_key}}) {
    if (auto [name, v] = pick(specific, general); v) *field = *v;
  }
  const char* timeout_name = env::Get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
                                 ? "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
                                 : "OTEL_EXPORTER_OTLP_TIMEOUT";
  auto timeout = env::Millis(timeout_name, options.timeout);
  if (!timeout.ok()) return timeout.status();
  options.timeout = *timeout;
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  return options;
}

struct OtlpHttpExporter::Impl {
  OtlpHttpExporterOptions options;
  std::string url;  // the endpoint, or for gRPC the call's URL
  std::vector<std::pair<std::string, std::string>> request_headers;
  std::unique_ptr<otlp::HttpClient> client;
  std::mt19937_64 jitter_rng{std::random_device{}()};

  std::mutex mutex;  // guards shut_down and the backoff wait
  std::condition_variable shutdown_cv;
  bool shut_down = false;

  std::atomic<uint64_t> exported{0}, rejected{0}, failed{0}, retried{0},
      requests_failed{0};

  // Rate-limited failure log: at most one line per interval, with what happened
  // meanwhile.
  Clock::time_point last_log{};
  uint64_t failures_since_log = 0;

  void LogFailure(const std::string& reason, size_t spans) {
    ++failures_since_log;
    auto now = Clock::now();
    if (last_log != Clock::time_point{} &&
        now - last_log < std::chrono::seconds(10))
      return;
    std::fprintf(stderr,
                 "kafkatrace: OTLP export to %s failed: %s (%zu spans dropped; "
                 "%llu failed "
                 "exports since last report)\n",
                 options.endpoint.c_str(), reason.c_str(), spans,
                 static_cast<unsigned long long>(failures_since_log));
    last_log = now;
    failures_since_log = 0;
  }

  std::chrono::milliseconds Backoff(int attempt) {
    auto base = options.initial_backoff * (1LL << std::min(attempt - 1, 20));
    if (base > options.max_backoff) base = options.max_backoff;
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>(base.count()) * jitter(jitter_rng)));
  }

  // Waits `delay` unless shut down first; false if shut down.
  bool WaitForRetry(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex);
    return !shutdown_cv.wait_for(lock, delay, [&] { return shut_down; });
  }
};

OtlpHttpExporter::OtlpHttpExporter(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}
OtlpHttpExporter::~OtlpHttpExporter() = default;

Result<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::Create(
    OtlpHttpExporterOptions options) {
  Status valid = options.Validate();
  if (!valid.ok()) return valid;
  auto impl = std::make_unique<Impl>();
  impl->request_headers = options.headers;
  // The body's type and encoding are ours to state: a configured one would
  // contradict the body sent (and a second Content-Type confuses receivers).
  std::erase_if(impl->request_headers, [](const auto& header) {
    for (const char* ours :
         {"Content-Type", "Content-Encoding", "TE", "grpc-encoding"}) {
      if (EqualsIgnoreAsciiCase(header.first, ours)) return true;
    }
    return false;
  });
  const bool gzip =
      options.compression == OtlpHttpExporterOptions::Compression::kGzip;
  if (options.protocol == OtlpHttpExporterOptions::Protocol::kGrpc) {
    impl->url = GrpcCallUrl(options.endpoint);
    impl->request_headers.emplace_back("Content-Type", "application/grpc");
    impl->request_headers.emplace_back("TE", "trailers");  // gRPC requires it
    // gRPC compresses the message, not the HTTP body.
    if (gzip) impl->request_headers.emplace_back("grpc-encoding", "gzip");
  } else {
    impl->url = options.endpoint;
    impl->request_headers.emplace_back(
        "Content-Type",
        options.protocol == OtlpHttpExporterOptions::Protocol::kHttpJson
            ? "application/json"
            : "application/x-protobuf");
    if (gzip) impl->request_headers.emplace_back("Content-Encoding", "gzip");
  }
  // OTLP exporters SHOULD name themselves, their language and version;
  // a User-Agent among the configured headers wins.
  const bool has_user_agent = std::any_of(
      options.headers.begin(), options.headers.end(), [](const auto& header) {
        return EqualsIgnoreAsciiCase(header.first, "User-Agent");
      });
  if (!has_user_agent) {
    impl->request_headers.emplace_back(
        "User-Agent", "kafkatrace-OTLP-Exporter-Cpp/" KAFKATRACE_VERSION);
  }
  impl->client = std::make_unique<otlp::HttpClient>(otlp::TlsFiles{
      options.certificate, options.client_certificate, options.client_key});
  impl->options = std::move(options);
  return std::unique_ptr<OtlpHttpExporter>(
      new OtlpHttpExporter(std::move(impl)));
}

ExportResult OtlpHttpExporter::Export(
    std::span<std::unique_ptr<SpanData>> batch, Deadline deadline) noexcept {
  Impl& s = *impl_;
  const size_t count = batch.size();
  if (count == 0) return ExportResult::kSuccess;
  try {
    {
      std::lock_guard lock(s.mutex);
      if (s.shut_down) {
        s.failed += count;
        return ExportResult::kFailure;
      }
    }
    std::string body;
    body.reserve(count * 300);
    const bool json =
        s.options.protocol == OtlpHttpExporterOptions::Protocol::kHttpJson;
    if (json) {
      otlp::EncodeJson(batch, body);
    } else {
      otlp::EncodeProtobuf(batch, body);
    }
    const bool gzip =
        s.options.compression == OtlpHttpExporterOptions::Compression::kGzip;
    if (gzip) body = Gzip(body);
    const bool grpc =
        s.options.protocol == OtlpHttpExporterOptions::Protocol::kGrpc;
    if (grpc) body = otlp::GrpcFrame(body, gzip);

    const auto end_by = std::min(deadline, Clock::now() + s.options.timeout);
    std::string reason;
    for (int attempt = 1;; ++attempt) {
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          end_by - Clock::now());
      if (remaining.count() <= 0) {
        reason = reason.empty() ? "deadline exceeded"
                                : reason + ", then deadline exceeded";
        break;
      }
      const otlp::HttpResponse response =
          grpc
              ? s.client->Post(s.url, GrpcHeaders(s.request_headers, remaining),
                               body, remaining, otlp::HttpVersion::kHttp2)
              : s.client->Post(s.url, s.request_headers, body, remaining);
      AttemptOutcome outcome;
      if (!response.transport_ok) {
        // A timeout used up the time we had.
        outcome = {false, std::nullopt, response.error, !response.timed_out};
      } else {
        outcome =
            grpc ? OutcomeOfGrpc(response) : OutcomeOfHttp(response, json);
      }
      if (outcome.delivered) {
        uint64_t rejected = 0;
        if (outcome.partial && outcome.partial->rejected_spans > 0) {
          rejected = std::min<uint64_t>(
              static_cast<uint64_t>(outcome.partial->rejected_spans), count);
          s.rejected += rejected;
          s.LogFailure("backend rejected " + std::to_string(rejected) +
                           " spans: " + outcome.partial->error_message,
                       rejected);
        }
        s.exported += count - rejected;
        return ExportResult::kSuccess;
      }
      reason = std::move(outcome.reason);
      const bool retryable = outcome.retryable;
      if (!retryable || attempt >= s.options.max_attempts) break;
      auto delay = s.Backoff(attempt);
      if (outcome.retry_delay) {
        delay = *outcome.retry_delay;
      } else if (auto retry_after = ParseRetryAfter(response.retry_after)) {
        delay = *retry_after;
      }
      if (Clock::now() + delay >= end_by) {
        reason += " (no time left to retry)";
        break;
      }
      s.retried++;
      if (!s.WaitForRetry(delay)) {
        reason += " (shut down while waiting to retry)";
        break;
      }
    }
    s.failed += count;
    s.requests_failed++;
    s.LogFailure(reason, count);
    return ExportResult::kFailure;
  } catch (...) {
    s.failed += count;
    s.requests_failed++;
    return ExportResult::kFailure;
  }
}

bool OtlpHttpExporter::Shutdown(Deadline) noexcept {
  std::lock_guard lock(impl_->mutex);
  impl_->shut_down = true;
  impl_->shutdown_cv.notify_all();
  return true;
}

OtlpHttpExporter::Stats OtlpHttpExporter::stats() const noexcept {
  const Impl& s = *impl_;
  return {s.exported.load(), s.rejected.load(), s.failed.load(),
          s.retried.load(), s.requests_failed.load()};
}

const OtlpHttpExporterOptions& OtlpHttpExporter::options() const {
  return impl_->options;
}

}  // namespace kafkatrace
