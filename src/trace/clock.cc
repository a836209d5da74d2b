#include "kafkatrace/clock.h"

#include <time.h>

#include <atomic>
#include <cstdint>

#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

namespace kafkatrace {
namespace {

int64_t ReadClock(clockid_t id) noexcept {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

#if defined(__x86_64__)
// Two clock_gettime calls cost about 50 ns per span on this project's VMs
// (kvm-clock); reading the TSC costs about 10. With an invariant TSC (constant
// rate, never stops), the wall clock is extrapolated from a per-thread anchor
// (a CLOCK_REALTIME reading and the TSC at that moment) at a rate calibrated
// against CLOCK_MONOTONIC. Each thread re-anchors once a second, so NTP steps
// and slews reach span timestamps within a second, and the rate is refined
// over an ever longer baseline on each re-anchor.

bool HasInvariantTsc() noexcept {
  unsigned eax, ebx, ecx, edx;
  if (__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) == 0 ||
      eax < 0x80000007) {
    return false;
  }
  __get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx);
  return (edx & (1u << 8)) != 0;
}

// A clock reading and the TSC at the same moment. The pair is taken a few
// times and the tightest bracket kept: a thread preempted between the two
// reads would otherwise skew the rate or the anchor by the whole preemption.
struct Pair {
  int64_t ns = 0;
  uint64_t tsc = 0;
};
Pair ReadPair(clockid_t id) noexcept {
  Pair best;
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 4; ++i) {
    const uint64_t before = __rdtsc();
    const int64_t ns = ReadClock(id);
    const uint64_t gap = __rdtsc() - before;
    if (gap < best_gap) {
      best_gap = gap;
      best = {ns, before + gap / 2};
    }
  }
  return best;
}

struct TscBase {
  const bool usable = HasInvariantTsc();
  const Pair start = ReadPair(CLOCK_MONOTONIC);
  std::atomic<double> ns_per_tick{0};  // 0 until the first 20 ms have passed
};
TscBase& Base() noexcept {
  static TscBase base;  // first use starts the calibration baseline
  return base;
}

constexpr int64_t kMinCalibrationNs = 20'000'000;
constexpr int64_t kAnchorLifetimeNs = 1'000'000'000;

// Measures the rate over the whole baseline so far; false while it is too
// short to be accurate.
bool Calibrate(TscBase& base) noexcept {
  // One plain read first: during the first 20 ms every clock read lands here.
  if (ReadClock(CLOCK_MONOTONIC) - base.start.ns < kMinCalibrationNs)
    return false;
  const Pair now = ReadPair(CLOCK_MONOTONIC);
  const int64_t elapsed = now.ns - base.start.ns;
  const uint64_t ticks = now.tsc - base.start.tsc;
  if (elapsed < kMinCalibrationNs || ticks == 0) return false;
  base.ns_per_tick.store(
      static_cast<double>(elapsed) / static_cast<double>(ticks),
      std::memory_order_relaxed);
  return true;
}

struct Anchor {
  uint64_t tsc = 0;
  int64_t realtime_ns = 0;
  uint64_t lifetime_ticks = 0;  // 0: no anchor yet
  double ns_per_tick = 0;
};
// initial-exec: no __tls_get_addr call in the dlopen()ed plugin either.
__attribute__((tls_model("initial-exec"))) thread_local Anchor t_anchor;

int64_t TscNow() noexcept {
  // A live anchor exists only where the TSC is usable: the common case reads
  // it before touching the process-wide state.
  Anchor& anchor = t_anchor;
  const uint64_t now = __rdtsc();
  // Unsigned: a TSC behind the anchor (another core) also re-anchors.
  const uint64_t since = now - anchor.tsc;
  if (since < anchor.lifetime_ticks) {
    return anchor.realtime_ns +
           static_cast<int64_t>(static_cast<double>(since) *
                                anchor.ns_per_tick);
  }
  TscBase& base = Base();
  if (!base.usable) return ReadClock(CLOCK_REALTIME);
  if (!Calibrate(base)) return ReadClock(CLOCK_REALTIME);
  anchor.ns_per_tick = base.ns_per_tick.load(std::memory_order_relaxed);
  const Pair realtime = ReadPair(CLOCK_REALTIME);
  anchor.realtime_ns = realtime.ns;
  anchor.tsc = realtime.tsc;
  anchor.lifetime_ticks = static_cast<uint64_t>(
      static_cast<double>(kAnchorLifetimeNs) / anchor.ns_per_tick);
  return anchor.realtime_ns;
}
#endif

}  // namespace

int64_t SystemClock::NowNanos() noexcept {
#if defined(__x86_64__)
  return TscNow();
#else
  return ReadClock(CLOCK_REALTIME);
#endif
}

SystemClock& SystemClock::Instance() {
  // Never destroyed: used until exit. Initialized once, so a call after the
  // first costs only the guard's check.
  static SystemClock* clock = [] {
#if defined(__x86_64__)
    (void)Base();  // start the TSC calibration baseline now
#endif
    return new SystemClock();
  }();
  return *clock;
}

}  // namespace kafkatrace
