// Clock: where span timestamps come from (nanoseconds since the Unix epoch).
// Injected so tests can control time. Thread-safety: implementations must be
// callable from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace kafkatrace {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNanos() noexcept = 0;
};

// Wall-clock time (CLOCK_REALTIME). On x86-64 with an invariant TSC it is read
// from the TSC and re-synchronized with CLOCK_REALTIME once a second per thread
// (see clock.cc): within microseconds of CLOCK_REALTIME, at a fraction of its
// cost. The process-wide instance lives forever.
class SystemClock final : public Clock {
 public:
  int64_t NowNanos() noexcept override;
  static SystemClock& Instance();
};

// A clock that moves only when told to; for tests.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_nanos = 1'700'000'000'000'000'000)
      : now_(start_nanos) {}
  int64_t NowNanos() noexcept override { return now_.load(); }
  void Advance(int64_t nanos) { now_ += nanos; }
  void Set(int64_t nanos) { now_ = nanos; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace kafkatrace
