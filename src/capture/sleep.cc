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

SleepFn InterruptibleSleeper::AsSleepFn() {
  return [this](std::chrono::nanoseconds d) { Wait(d); };
}

void InterruptibleSleeper::Wait(std::chrono::nanoseconds d) {
  if (d.count() <= 0) return;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return interrupted_; });
}

void InterruptibleSleeper::Interrupt() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    interrupted_ = true;
  }
  cv_.notify_all();
}

void InterruptibleSleeper::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = false;
}

bool InterruptibleSleeper::interrupted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return interrupted_;
}

}  // namespace rvm
