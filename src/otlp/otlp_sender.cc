#include "otlp/otlp_sender.h"

#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "common/text.h"
#include "kafkatrace/propagation/text_map_carrier.h"  // EqualsIgnoreAsciiCase
#include "otlp/grpc_framing.h"
#include "otlp/http_client.h"
#include "otlp/otlp_encoder.h"

namespace kafkatrace::otlp {
namespace {

using Clock = std::chrono::steady_clock;

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
std::string GrpcCallUrl(std::string_view endpoint, OtlpSignal signal) {
  const size_t authority = endpoint.find("://") + 3;  // Validate checked it
  const size_t path = endpoint.find_first_of("/?#", authority);
  return std::string(endpoint.substr(0, path)) +
         std::string(signal == OtlpSignal::kMetrics ? kGrpcMetricsExportPath
                                                    : kGrpcTraceExportPath);
}

// What the OTLP spec lets an exporter retry. RESOURCE_EXHAUSTED only comes
// retryable with a RetryInfo detail, which is not read here.
bool IsRetryableGrpcStatus(int code) {
  using namespace grpc_code;
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
  std::optional<PartialSuccess> partial;  // with delivered
  std::string reason;                     // without
  bool retryable = false;
  // How long the receiver asked to wait before retrying (gRPC's RetryInfo).
  std::optional<std::chrono::milliseconds> retry_delay;
};

AttemptOutcome OutcomeOfHttp(const HttpResponse& response, bool json) {
  if (response.status >= 200 && response.status < 300) {
    return {true,
            json ? DecodeResponseJson(response.body)
                 : DecodeResponseProtobuf(response.body),
            {},
            false};
  }
  std::string reason = "HTTP " + std::to_string(response.status);
  // OTLP failure bodies are a google.rpc.Status; its message says why.
  std::string message = DecodeStatusMessage(response.body, json);
  // Otherwise a short text body (a proxy's error, say) is shown as is.
  if (message.empty() && response.body.size() < 200 &&
      std::all_of(response.body.begin(), response.body.end(),
                  [](unsigned char c) { return c >= 0x20 && c < 0x7f; }))
    message = response.body;
  if (!message.empty()) reason += ": " + message.substr(0, 300);
  return {false, std::nullopt, std::move(reason),
          IsRetryableStatus(response.status)};
}

AttemptOutcome OutcomeOfGrpc(const HttpResponse& response) {
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
    std::optional<PartialSuccess> partial;
    if (auto message = ParseGrpcFrame(response.body);
        message && !message->compressed)
      partial = DecodeResponseProtobuf(message->bytes);
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
      retry_delay = DecodeRetryDelay(*status);
  }
  const bool retryable = IsRetryableGrpcStatus(code) ||
                         (code == grpc_code::kResourceExhausted && retry_delay);
  return {false, std::nullopt, std::move(reason), retryable, retry_delay};
}

}  // namespace

struct OtlpSender::State {
  std::string url;  // the endpoint, or for gRPC the call's URL
  std::string item_name;
  std::vector<std::pair<std::string, std::string>> request_headers;
  std::unique_ptr<HttpClient> client;
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

  void LogFailure(const std::string& endpoint, const std::string& reason,
                  size_t items) {
    ++failures_since_log;
    auto now = Clock::now();
    if (last_log != Clock::time_point{} &&
        now - last_log < std::chrono::seconds(10))
      return;
    std::fprintf(stderr,
                 "kafkatrace: OTLP export to %s failed: %s (%zu %s dropped; "
                 "%llu failed exports since last report)\n",
                 endpoint.c_str(), reason.c_str(), items, item_name.c_str(),
                 static_cast<unsigned long long>(failures_since_log));
    last_log = now;
    failures_since_log = 0;
  }

  std::chrono::milliseconds Backoff(const OtlpHttpExporterOptions& options,
                                    int attempt) {
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

OtlpSender::OtlpSender(OtlpHttpExporterOptions options, OtlpSignal signal,
                       std::string_view item_name)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  State& s = *state_;
  s.item_name = std::string(item_name);
  s.request_headers = options_.headers;
  // The body's type and encoding are ours to state: a configured one would
  // contradict the body sent (and a second Content-Type confuses receivers).
  std::erase_if(s.request_headers, [](const auto& header) {
    for (const char* ours :
         {"Content-Type", "Content-Encoding", "TE", "grpc-encoding"}) {
      if (EqualsIgnoreAsciiCase(header.first, ours)) return true;
    }
    return false;
  });
  const bool gzip =
      options_.compression == OtlpHttpExporterOptions::Compression::kGzip;
  if (options_.protocol == OtlpHttpExporterOptions::Protocol::kGrpc) {
    s.url = GrpcCallUrl(options_.endpoint, signal);
    s.request_headers.emplace_back("Content-Type", "application/grpc");
    s.request_headers.emplace_back("TE", "trailers");  // gRPC requires it
    // gRPC compresses the message, not the HTTP body.
    if (gzip) s.request_headers.emplace_back("grpc-encoding", "gzip");
  } else {
    s.url = options_.endpoint;
    s.request_headers.emplace_back(
        "Content-Type", json() ? "application/json" : "application/x-protobuf");
    if (gzip) s.request_headers.emplace_back("Content-Encoding", "gzip");
  }
  // OTLP exporters SHOULD name themselves, their language and version;
  // a User-Agent among the configured headers wins.
  const bool has_user_agent = std::any_of(
      options_.headers.begin(), options_.headers.end(), [](const auto& header) {
        return EqualsIgnoreAsciiCase(header.first, "User-Agent");
      });
  if (!has_user_agent) {
    s.request_headers.emplace_back(
        "User-Agent", "kafkatrace-OTLP-Exporter-Cpp/" KAFKATRACE_VERSION);
  }
  s.client = std::make_unique<HttpClient>(TlsFiles{
      options_.certificate, options_.client_certificate, options_.client_key});
}

OtlpSender::~OtlpSender() = default;

OtlpSender::Delivery OtlpSender::Send(std::string body, size_t items,
                                      Clock::time_point deadline) {
  State& s = *state_;
  {
    std::lock_guard lock(s.mutex);
    if (s.shut_down) {
      s.failed += items;
      return {};
    }
  }
  const bool gzip =
      options_.compression == OtlpHttpExporterOptions::Compression::kGzip;
  if (gzip) body = Gzip(body);
  const bool grpc =
      options_.protocol == OtlpHttpExporterOptions::Protocol::kGrpc;
  if (grpc) body = GrpcFrame(body, gzip);

  const auto end_by = std::min(deadline, Clock::now() + options_.timeout);
  std::string reason;
  for (int attempt = 1;; ++attempt) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        end_by - Clock::now());
    if (remaining.count() <= 0) {
      reason = reason.empty() ? "deadline exceeded"
                              : reason + ", then deadline exceeded";
      break;
    }
    const HttpResponse response =
        grpc ? s.client->Post(s.url, GrpcHeaders(s.request_headers, remaining),
                              body, remaining, HttpVersion::kHttp2)
             : s.client->Post(s.url, s.request_headers, body, remaining);
    AttemptOutcome outcome;
    if (!response.transport_ok) {
      // A timeout used up the time we had.
      outcome = {false, std::nullopt, response.error, !response.timed_out};
    } else {
      outcome =
          grpc ? OutcomeOfGrpc(response) : OutcomeOfHttp(response, json());
    }
    if (outcome.delivered) {
      uint64_t rejected = 0;
      if (outcome.partial && outcome.partial->rejected > 0) {
        rejected = std::min<uint64_t>(
            static_cast<uint64_t>(outcome.partial->rejected), items);
        s.LogFailure(options_.endpoint,
                     "backend rejected " + std::to_string(rejected) + " " +
                         s.item_name + ": " + outcome.partial->error_message,
                     rejected);
      }
      s.rejected += rejected;
      s.exported += items - rejected;
      return {true, rejected};
    }
    reason = std::move(outcome.reason);
    if (!outcome.retryable || attempt >= options_.max_attempts) break;
    auto delay = s.Backoff(options_, attempt);
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
  s.failed += items;
  s.requests_failed++;
  s.LogFailure(options_.endpoint, reason, items);
  return {};
}

void OtlpSender::CountFailed(size_t items) { state_->failed += items; }

void OtlpSender::Shutdown() {
  std::lock_guard lock(state_->mutex);
  state_->shut_down = true;
  state_->shutdown_cv.notify_all();
}

uint64_t OtlpSender::items_exported() const { return state_->exported.load(); }
uint64_t OtlpSender::items_rejected() const { return state_->rejected.load(); }
uint64_t OtlpSender::items_failed() const { return state_->failed.load(); }
uint64_t OtlpSender::requests_retried() const { return state_->retried.load(); }
uint64_t OtlpSender::requests_failed() const {
  return state_->requests_failed.load();
}

}  // namespace kafkatrace::otlp
