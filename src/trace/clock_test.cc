#include "kafkatrace/clock.h"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

namespace kafkatrace {
namespace {

int64_t Read(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}
int64_t Realtime() { return Read(CLOCK_REALTIME); }

// SystemClock may extrapolate from the TSC (clock.cc); whatever it does, it
// must stay on CLOCK_REALTIME, through calibration and re-anchoring, on every
// thread. A step of CLOCK_REALTIME itself (time synchronization: one CI run on
// a VM saw 5 ms) reaches the extrapolation at the next re-anchor, within a
// second, as designed; so the bound is 1 ms plus any step seen meanwhile.
TEST(SystemClockTest, StaysWithinAMillisecondOfRealtimeOnEveryThread) {
  struct Result {
    int64_t worst = 0;  // farthest outside [before, after]
    int64_t step = 0;   // largest change of CLOCK_REALTIME - CLOCK_MONOTONIC
  };
  auto check = [] {
    Clock& clock = SystemClock::Instance();
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
    Result result;
    const int64_t offset = Realtime() - Read(CLOCK_MONOTONIC);
    while (std::chrono::steady_clock::now() < until) {
      const int64_t before = Realtime();
      const int64_t ours = clock.NowNanos();
      const int64_t after = Realtime();
      result.worst = std::max({result.worst, before - ours, ours - after});
      result.step = std::max(result.step,
                             std::abs(after - Read(CLOCK_MONOTONIC) - offset));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return result;
  };
  Result other;
  std::thread thread([&] { other = check(); });
  const Result here = check();
  thread.join();
  // Reading the two clocks in turn can make a few microseconds of "step".
  EXPECT_LT(here.worst, 1'000'000 + here.step) << "realtime step " << here.step;
  EXPECT_LT(other.worst, 1'000'000 + other.step)
      << "realtime step " << other.step;
}

TEST(SystemClockTest, MeasuresElapsedTimeLikeTheSteadyClock) {
  Clock& clock = SystemClock::Instance();
  const int64_t start = clock.NowNanos();
  const auto steady_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t elapsed = clock.NowNanos() - start;
  const int64_t steady = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - steady_start)
                             .count();
  EXPECT_NEAR(static_cast<double>(elapsed), static_cast<double>(steady),
              1'000'000.0);
}

}  // namespace
}  // namespace kafkatrace
