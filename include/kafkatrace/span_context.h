// SpanContext: the part of a span that crosses process boundaries: trace id,
// span id, trace flags, tracestate, and whether it was received from a remote
// peer. Thread-safety: immutable value.
#pragma once

#include <cstdint>
#include <utility>

#include "kafkatrace/trace_id.h"
#include "kafkatrace/trace_state.h"

namespace kafkatrace {

class SpanContext {
 public:
  SpanContext() = default;  // invalid
  SpanContext(TraceId trace_id, SpanId span_id, uint8_t flags, bool remote,
              TraceState trace_state = {})
      : trace_id_(trace_id),
        span_id_(span_id),
        flags_(flags),
        remote_(remote),
        trace_state_(std::move(trace_state)) {}

  // Valid when both ids are non-zero.
  bool IsValid() const noexcept {
    return trace_id_.IsValid() && span_id_.IsValid();
  }
  const TraceId& trace_id() const { return trace_id_; }
  const SpanId& span_id() const { return span_id_; }
  uint8_t flags() const { return flags_; }
  bool sampled() const { return (flags_ & kTraceFlagSampled) != 0; }
  bool remote() const { return remote_; }
  const TraceState& trace_state() const { return trace_state_; }

  friend bool operator==(const SpanContext&, const SpanContext&) = default;

 private:
  TraceId trace_id_;
  SpanId span_id_;
  uint8_t flags_ = 0;
  bool remote_ = false;
  TraceState trace_state_;
};

}  // namespace kafkatrace
