// OTLP/gRPC trace receiver: the TraceService/Export unary call over HTTP/2
// cleartext (h2c with prior knowledge, what OpenTelemetry SDKs send to
// http://host:4317), on nghttp2. Several SDKs (Python, .NET, the Collector's
// `otlp` exporter, telemetrygen) export over gRPC by default, so the viewer
// takes both transports. The request is stored exactly as one POSTed to
// /v1/traces (StoreOtlpTraces); the answer follows the OTLP/gRPC rules:
//  - stored: grpc-status 0 with an ExportTraceServiceResponse, its
//    partial_success counting the spans rejected one by one;
//  - an unreadable message: INVALID_ARGUMENT (3); the store failing:
//    UNAVAILABLE (14, retryable); a message over the size limit:
//    RESOURCE_EXHAUSTED (8);
//  - the metrics and logs services, or any other method: UNIMPLEMENTED (12),
//    saying how to turn the signal off in the sender;
//  - a message compressed other than with gzip: UNIMPLEMENTED, advertising
//    grpc-accept-encoding;
//  - a request that is not gRPC at all (Content-Type): HTTP 415; an HTTP/1
//    request (OTLP/HTTP sent here by mistake): an HTTP/1.1 400 saying so.
// TLS is not offered: like the OTLP/HTTP receiver this is a local tool that
// binds loopback by default.
//
// Threading: Serve() accepts on the calling thread and gives each connection
// a thread of its own (at most max_connections; more are closed at once).
// Stop() may be called from any thread; it returns once every connection
// thread has finished. The SpanStore is borrowed and must outlive the server.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "collector/metric_store.h"
#include "collector/span_store.h"

namespace kafkatrace::collector {

struct OtlpGrpcServerOptions {
  size_t max_message_bytes = 16 << 20;  // after decompression, as /v1/traces
  int max_connections = 16;
  // Streams one connection may have open at once (HTTP/2 SETTINGS). Whatever
  // the streams, a connection holds at most two messages' worth of request
  // bytes; a stream that would go beyond is answered RESOURCE_EXHAUSTED.
  int max_concurrent_streams = 8;
  // Named in the 400 answered to an HTTP/1 request (OTLP/HTTP sent to the
  // gRPC port by mistake): where such requests belong.
  std::string otlp_http_url;
  // Where MetricsService/Export calls go; borrowed, must outlive the server.
  // Null: such calls are answered UNIMPLEMENTED.
  MetricStore* metrics = nullptr;
};

class OtlpGrpcServer {
 public:
  explicit OtlpGrpcServer(SpanStore& store, OtlpGrpcServerOptions options = {});
  ~OtlpGrpcServer();  // stops
  OtlpGrpcServer(const OtlpGrpcServer&) = delete;
  OtlpGrpcServer& operator=(const OtlpGrpcServer&) = delete;

  // Listens on host:port (port 0: any free one). Returns the port, or -1 with
  // `error` set (address unknown, port in use).
  int Bind(const std::string& host, int port, std::string* error);
  // Accepts connections until Stop(). Call after a successful Bind.
  void Serve();
  void Stop();
  // Serves one connected socket on the calling thread until the client closes
  // it, the connection fails or Stop(); then closes `fd` (owned from here).
  // Serve() calls it per connection; the fuzzer calls it on a socketpair.
  void Handle(int fd);

 private:
  struct Connections;

  SpanStore& store_;
  OtlpGrpcServerOptions options_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<Connections> connections_;
};

}  // namespace kafkatrace::collector
