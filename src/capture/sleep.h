// SleepFn: the seam for waiting. Sources and the capture loop wait through an
// injected SleepFn instead of calling the operating system, so tests drive
// time with a FakeClock and never sleep for real, and the pipeline can pass a
// sleep that wakes early on shutdown.
//
// RealSleep() is thread-safe. FakeSleep() advances the given FakeClock (which
// is itself thread-safe) and returns at once. InterruptibleSleeper is
// thread-safe: any thread may Interrupt() a wait running on another, and
// Reset() re-arms it for a restart.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "base/clock.h"

namespace rvm {

// Waits for about `d` (non-positive: returns at once). May return early.
using SleepFn = std::function<void(std::chrono::nanoseconds d)>;

// Sleeps on the calling thread.
SleepFn RealSleep();

// Advances `clock` by `d` instead of sleeping. `clock` must outlive the SleepFn.
SleepFn FakeSleep(FakeClock& clock);

// Real sleeps that shutdown can cut short: after Interrupt(), the current
// wait and every later one return at once, so a capture thread waiting out a
// reconnect backoff (up to max_backoff) stops promptly.
class InterruptibleSleeper {
 public:
  // The SleepFn to hand to sources and the capture loop; this object must
  // outlive it.
  SleepFn AsSleepFn();
  // Wakes all current and future waits.
  void Interrupt();
  // Lets waits sleep again after Interrupt(), for a pipeline restarted over
  // the same sources. Call it once the threads that were stopped have been
  // joined; a wait already running when Reset() is called may still sleep
  // its full duration.
  void Reset();
  bool interrupted() const;

 private:
  void Wait(std::chrono::nanoseconds d);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;  // guarded by mu_
};

}  // namespace rvm
