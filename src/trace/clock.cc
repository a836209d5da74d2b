#include "kafkatrace/clock.h"

#include <time.h>

namespace kafkatrace {

int64_t SystemClock::NowNanos() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

SystemClock& SystemClock::Instance() {
  static SystemClock* clock =
      new SystemClock();  // never destroyed: used until exit
  return *clock;
}

}  // namespace kafkatrace
