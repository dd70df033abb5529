#include "capture/sleep.h"

#include <thread>

namespace rvm {

SleepFn RealSleep() {
  return [](std::chrono::nanoseconds d) {
    if (d.count() > 0) std::this_thread::sleep_for(d);
  };
}

SleepFn FakeSleep(FakeClock& clock) {
  return [&clock](std::chrono::nanoseconds d) {
    if (d.count() > 0) clock.Advance(d);
  };
}

}  // namespace rvm
