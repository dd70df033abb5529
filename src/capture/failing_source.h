// FailingSource: wraps another FrameSource and fails on a schedule, to test
// how the service rides out a camera that disappears, stays away for a while
// and comes back, or stalls.
//
// Failure modes (counted in frames delivered since the last successful Open):
//   - disappear: after `disappear_after_frames` frames, Read() fails with
//     kUnavailable until the source is reopened, and the next
//     `failed_reopens` Open() calls fail too (the device is still missing);
//   - stall: after `stall_after_frames` frames, each Read() first waits
//     `stall_for` through the SleepFn (a read that hangs), then fails with
//     kUnavailable, until reopened.
// With `repeat`, the schedule starts over after every successful reopen;
// otherwise the source fails once and then behaves.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "capture/frame_source.h"
#include "capture/sleep.h"

namespace rvm {

struct FailureSchedule {
  // Frames delivered before the device disappears; -1 = never.
  int64_t disappear_after_frames = -1;
  // Open() calls that fail after each disappearance or stall before one
  // succeeds; -1 = the device never comes back.
  int64_t failed_reopens = 0;
  // Frames delivered before reads start to hang; -1 = never.
  int64_t stall_after_frames = -1;
  // How long each stalled read hangs before it fails.
  std::chrono::milliseconds stall_for{0};
  // Apply the schedule again after each successful reopen.
  bool repeat = false;
};

class FailingSource final : public FrameSource {
 public:
  FailingSource(std::unique_ptr<FrameSource> inner, FailureSchedule schedule,
                SleepFn sleep = RealSleep());

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override { inner_->Close(); }
  const std::string& name() const override { return inner_->name(); }
  std::string Describe() const override { return inner_->Describe() + " (failing on schedule)"; }
  bool StartsOverWhenReopened() const override { return inner_->StartsOverWhenReopened(); }

  // For tests: calls seen and failures injected.
  int64_t open_calls() const { return open_calls_; }
  int64_t injected_failures() const { return injected_failures_; }

 private:
  enum class Fault { kNone, kGone, kStalled };

  std::unique_ptr<FrameSource> inner_;
  const FailureSchedule schedule_;
  SleepFn sleep_;
  Fault fault_ = Fault::kNone;
  bool armed_ = true;  // the schedule still applies
  int64_t frames_since_open_ = 0;
  int64_t reopens_to_fail_ = 0;
  int64_t open_calls_ = 0;
  int64_t injected_failures_ = 0;
};

}  // namespace rvm
