// IdGenerator: where trace and span ids come from. RandomIdGenerator is the
// default: a per-thread xoshiro256++ generator seeded from getrandom(),
// reseeded in a child after fork() so parent and child never repeat ids. It
// never returns an all-zero id. Thread-safety: RandomIdGenerator is safe to
// call from any thread, lock-free.
#pragma once

#include <memory>

#include "kafkatrace/trace_id.h"

namespace kafkatrace {

class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual TraceId NewTraceId() noexcept = 0;
  virtual SpanId NewSpanId() noexcept = 0;
  // Both ids of a root span in one call (one virtual call on the hot path).
  virtual void NewRootIds(TraceId& trace_id, SpanId& span_id) noexcept {
    trace_id = NewTraceId();
    span_id = NewSpanId();
  }
  // True when trace ids are uniformly random, which lets root spans set the W3C
  // random flag.
  virtual bool trace_ids_are_random() const noexcept { return false; }
};

class RandomIdGenerator final : public IdGenerator {
 public:
  TraceId NewTraceId() noexcept override;
  SpanId NewSpanId() noexcept override;
  void NewRootIds(TraceId& trace_id, SpanId& span_id) noexcept override;
  bool trace_ids_are_random() const noexcept override { return true; }
};

}  // namespace kafkatrace
