// SleepFn: the seam for waiting. Sources and the capture loop wait through an
// injected SleepFn instead of calling the operating system, so tests drive
// time with a FakeClock and never sleep for real, and the pipeline can pass a
// sleep that wakes early on shutdown.
//
// RealSleep() is thread-safe. FakeSleep() advances the given FakeClock (which
// is itself thread-safe) and returns at once.
#pragma once

#include <chrono>
#include <functional>

#include "base/clock.h"

namespace rvm {

// Waits for about `d` (non-positive: returns at once). May return early.
using SleepFn = std::function<void(std::chrono::nanoseconds d)>;

// Sleeps on the calling thread.
SleepFn RealSleep();

// Advances `clock` by `d` instead of sleeping. `clock` must outlive the SleepFn.
SleepFn FakeSleep(FakeClock& clock);

}  // namespace rvm
