// OtlpSender: delivers encoded OTLP export requests, whatever the signal, in
// the transport the options name (http/protobuf, http/json, grpc): gzip,
// gRPC framing, retries of what the OTLP spec calls retryable with backoff and
// the receiver's delay, all within the export deadline, and a rate-limited
// log of failures. The span and metric exporters encode; this sends.
//
// Threading: Send is called by one thread at a time; Shutdown from any.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kafkatrace/otlp/otlp_http_exporter.h"

namespace kafkatrace::otlp {

class OtlpSender {
 public:
  struct Delivery {
    bool delivered = false;
    uint64_t rejected = 0;  // of the delivered items, per partial success
  };

  // `options` must be valid (OtlpHttpExporterOptions::Validate).
  // `item_name`: what the requests carry ("spans"), for the failure log.
  OtlpSender(OtlpHttpExporterOptions options, OtlpSignal signal,
             std::string_view item_name);
  ~OtlpSender();

  // `request`: the protobuf or (http/json) JSON encoding of one export
  // request holding `items` items; they are counted as exported, rejected
  // or failed.
  Delivery Send(std::string request, size_t items,
                std::chrono::steady_clock::time_point deadline);
  // Counts items that failed before a request could be sent (encoding).
  void CountFailed(size_t items);
  // Interrupts any backoff wait; later sends fail at once.
  void Shutdown();

  bool json() const {
    return options_.protocol == OtlpHttpExporterOptions::Protocol::kHttpJson;
  }
  const OtlpHttpExporterOptions& options() const { return options_; }
  // Items accepted by the backend, reported rejected in a partial success,
  // and in requests that could not be delivered.
  uint64_t items_exported() const;
  uint64_t items_rejected() const;
  uint64_t items_failed() const;
  uint64_t requests_retried() const;
  uint64_t requests_failed() const;

 private:
  struct State;
  OtlpHttpExporterOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace kafkatrace::otlp
