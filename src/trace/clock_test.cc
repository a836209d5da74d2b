#include "kafkatrace/clock.h"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdlib>
#include <thread>
#include <vector>

namespace kafkatrace {
namespace {

int64_t Realtime() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// SystemClock may extrapolate from the TSC (clock.cc); whatever it does, it
// must stay on CLOCK_REALTIME, through calibration and re-anchoring, on every
// thread.
TEST(SystemClockTest, StaysWithinAMillisecondOfRealtimeOnEveryThread) {
  auto check = [] {
    Clock& clock = SystemClock::Instance();
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(1300);
    int64_t worst = 0;
    while (std::chrono::steady_clock::now() < until) {
      const int64_t before = Realtime();
      const int64_t ours = clock.NowNanos();
      const int64_t after = Realtime();
      // Outside [before, after] by more than 1 ms is wrong.
      worst = std::max({worst, before - ours, ours - after});
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return worst;
  };
  int64_t other = 0;
  std::thread thread([&] { other = check(); });
  const int64_t here = check();
  thread.join();
  EXPECT_LT(here, 1'000'000);
  EXPECT_LT(other, 1'000'000);
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
