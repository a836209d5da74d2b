// OtlpHttpExporter: sends spans to any OTLP backend (OpenTelemetry Collector,
// Jaeger, Tempo, New Relic, Honeycomb, `kafkatrace view`) over libcurl with
// keep-alive, TLS from the system CA store and optional gzip, in one of the
// three OTLP transports: POST <endpoint> with protobuf (http/protobuf, the
// default) or OTLP/JSON (http/json), or the gRPC unary call TraceService/Export
// over HTTP/2 (grpc; h2c for http://, TLS for https://). Retries only what the
// OTLP spec calls retryable (HTTP 429, 502, 503, 504; gRPC CANCELLED,
// DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS, and
// RESOURCE_EXHAUSTED with a RetryInfo; connection failures), with exponential
// backoff, jitter, and the receiver's Retry-After or RetryInfo delay, always
// within the export deadline.
//
// Threading: Export is called by one span processor thread at a time
// (SpanExporter contract); stats() and Shutdown() may be called from any
// thread. Use it behind a BatchSpanProcessor so network time never lands on
// application threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kafkatrace/span_exporter.h"
#include "kafkatrace/status.h"

namespace kafkatrace {

// What an exporter sends: it picks the default path (/v1/traces,
// /v1/metrics), the gRPC service and the OTEL_EXPORTER_OTLP_{TRACES,METRICS}_*
// variables.
enum class OtlpSignal { kTraces, kMetrics };

// The options of an OTLP exporter, for spans or for metrics.
struct OtlpHttpExporterOptions {
  enum class Protocol { kHttpProtobuf, kHttpJson, kGrpc };
  enum class Compression { kNone, kGzip };

  // http/protobuf and http/json: the full URL spans are POSTed to. grpc: the
  // receiver's http(s)://host:port; a path is ignored (the call has its own).
  std::string endpoint = "http://localhost:4318/v1/traces";
  Protocol protocol =
      Protocol::kHttpProtobuf;  // http/protobuf, as other OTel SDKs default
  Compression compression = Compression::kNone;
  // Extra request headers, e.g. {"api-key", "..."} for New Relic.
  std::vector<std::pair<std::string, std::string>> headers;
  // Longest one export may take, retries included (OTEL_EXPORTER_OTLP_TIMEOUT,
  // 10 s).
  std::chrono::milliseconds timeout{10000};
  // First retry delay; doubles per attempt up to max_backoff, with +-20%
  // jitter.
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  int max_attempts = 5;  // total tries per batch, including the first
  // TLS for an https endpoint, as PEM file paths. `certificate`: the CA(s) to
  // trust for the receiver instead of the system store. `client_certificate`
  // and `client_key`: presented for mutual TLS (the key may sit in the
  // certificate's file).
  std::string certificate;
  std::string client_certificate;
  std::string client_key;

  // The protocol OTEL_EXPORTER_OTLP_PROTOCOL names so: http/protobuf,
  // http/json or grpc; nullopt for any other name.
  static std::optional<Protocol> ProtocolNamed(std::string_view name);
  // The endpoint used when none is configured: http://localhost:4318/v1/traces
  // (or /v1/metrics) for OTLP/HTTP, http://localhost:4317 for gRPC.
  static std::string DefaultEndpoint(Protocol protocol,
                                     OtlpSignal signal = OtlpSignal::kTraces);
  // The metrics endpoint of the receiver a traces endpoint names, for a
  // component configured with one URL: ".../v1/traces" becomes
  // ".../v1/metrics"; a gRPC endpoint (`grpc`) names only the receiver and
  // serves both. nullopt when the URL does not end in /v1/traces.
  static std::optional<std::string> MetricsEndpointFor(
      std::string_view traces_endpoint, bool grpc);
  // OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT,PROTOCOL,HEADERS,COMPRESSION,TIMEOUT,
  // CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY,INSECURE} over the defaults,
  // signal-specific variables first (METRICS_ for kMetrics). For grpc the
  // endpoint is taken as is (no /v1/traces), and one without a scheme gets
  // https://, or http:// when INSECURE is true. Malformed values are one clear
  // error. `protocol`: the caller's own choice (a plugin property), over the
  // PROTOCOL variables; it decides the default endpoint and how a base
  // endpoint is read, as the variable would.
  static Result<OtlpHttpExporterOptions> FromEnv(
      OtlpSignal signal = OtlpSignal::kTraces,
      std::optional<Protocol> protocol = std::nullopt);
  // Checks the endpoint URL, header names and that the TLS files can be
  // read; the error says what is wrong.
  Status Validate() const;
};

class OtlpHttpExporter final : public SpanExporter {
 public:
  struct Stats {
    uint64_t spans_exported = 0;  // accepted by the backend
    uint64_t spans_rejected =
        0;  // reported rejected in a partial-success response
    uint64_t spans_failed =
        0;  // in batches that could not be delivered (dropped)
    uint64_t requests_retried = 0;
    uint64_t requests_failed = 0;  // batches given up on
  };

  static Result<std::unique_ptr<OtlpHttpExporter>> Create(
      OtlpHttpExporterOptions options);
  ~OtlpHttpExporter() override;

  ExportResult Export(std::span<std::unique_ptr<SpanData>> batch,
                      Deadline deadline) noexcept override;
  // Interrupts any backoff wait; later exports fail at once.
  bool Shutdown(Deadline deadline) noexcept override;
  // Encodes a span's deferred Kafka attributes straight from their facts.
  bool ExportsDeferredAttributes() const noexcept override { return true; }

  Stats stats() const noexcept;
  const OtlpHttpExporterOptions& options() const;

 private:
  struct Impl;
  explicit OtlpHttpExporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kafkatrace
