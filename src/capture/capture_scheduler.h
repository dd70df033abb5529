// CaptureScheduler: decides when to take the next frame and whether it goes
// to the detector.
//
// Two modes. Idle: sample at `idle_fps` and run only the motion gate, so an
// empty chute costs almost no CPU and the detector never runs on it. Active:
// sample at `active_fps` and send every frame to the detector. Motion seen by
// the gate, an external Trigger() (a door sensor, the admin API) or an item in
// progress switches to active; after `quiet_period` with none of those it
// returns to idle.
//
// A pure state machine driven by the injected Clock: it never sleeps and does
// no I/O. The capture loop asks NextSampleDue(), sleeps until then, takes a
// frame, reports it with OnSample(), and asks ShouldRunDetector().
//
// Thread-safety: Trigger() may be called from any thread (it sets an atomic
// flag that the capture thread folds in on its next call). Everything else is
// called from the capture thread only.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "base/clock.h"
#include "base/status.h"

namespace rvm {

struct CaptureScheduleOptions {
  // Sampling rate with an empty chute (frames per second, > 0).
  double idle_fps = 4.0;
  // Sampling rate while an item may be present (frames per second, >=
  // idle_fps). The camera's own rate caps it in practice.
  double active_fps = 30.0;
  // Time without motion, trigger or item in progress before going back to
  // idle. Long enough to cover an item lying still while it is judged.
  std::chrono::milliseconds quiet_period{2000};
};

enum class CaptureMode { kIdle, kActive };
const char* CaptureModeName(CaptureMode mode);

class CaptureScheduler {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Starts idle with a sample due at once. `clock` must outlive the scheduler.
  CaptureScheduler(const CaptureScheduleOptions& options, const Clock& clock);

  // Rejects out-of-range options with a message naming the field.
  static Status Validate(const CaptureScheduleOptions& options);

  // Current mode, after folding in a pending trigger and the quiet-period
  // timeout.
  CaptureMode mode();
  // When the next frame should be taken (may be in the past: take it now).
  TimePoint NextSampleDue();
  // Whether the frame just sampled should go to the detector (active mode).
  bool ShouldRunDetector() { return mode() == CaptureMode::kActive; }

  // Records that a frame was taken now and what the motion gate said about it
  // (pass false when the gate did not run). Schedules the next sample.
  void OnSample(bool motion);
  // External request to look now (any thread). Takes effect at the next call
  // on the capture thread: switches to active with a sample due at once.
  void Trigger() { trigger_pending_.store(true, std::memory_order_release); }
  // The detector or item tracker reports whether an item is being judged;
  // while true the scheduler stays active regardless of motion.
  void SetItemInProgress(bool in_progress);

  // Replaces the rates and quiet period (a configuration reload); `options`
  // must pass Validate. The next sample is due within one new period.
  void SetOptions(const CaptureScheduleOptions& options);

  // Counters for metrics.
  int64_t idle_to_active() const { return idle_to_active_; }
  int64_t active_to_idle() const { return active_to_idle_; }

 private:
  void Refresh();
  void EnterActive(TimePoint now);
  std::chrono::steady_clock::duration Period() const;

  CaptureScheduleOptions options_;
  const Clock& clock_;
  std::atomic<bool> trigger_pending_{false};
  CaptureMode mode_ = CaptureMode::kIdle;
  bool item_in_progress_ = false;
  TimePoint last_activity_{};  // last motion, trigger or item in progress
  TimePoint next_due_{};
  int64_t idle_to_active_ = 0;
  int64_t active_to_idle_ = 0;
};

}  // namespace rvm
