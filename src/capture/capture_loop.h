// CaptureLoop: one step of the capture thread. It waits until the scheduler
// says the next sample is due, reads one frame from the source into the
// caller's Frame, runs the motion gate on it, feeds the result back to the
// scheduler, and says whether the frame goes to the detector.
//
// This is the piece that keeps the detector off an empty chute: in idle mode
// frames are sampled at the idle rate and only the motion gate sees them.
// The gate also runs in active mode (it costs a thumbnail), so the scheduler
// knows when the chute has gone quiet.
//
// The loop owns no thread and no buffers: the pipeline calls Next() from its
// capture thread with a Frame from its pool, and decides what to do with
// temporary failures and end of stream. Thread-compatible; the scheduler's
// Trigger() may still be called from other threads.
#pragma once

#include <cstdint>

#include "base/clock.h"
#include "base/status.h"
#include "capture/capture_scheduler.h"
#include "capture/frame_source.h"
#include "capture/motion_gate.h"
#include "capture/sleep.h"

namespace rvm {

struct CaptureStep {
  // Send this frame to the detector (active mode).
  bool to_detector = false;
  // What the motion gate said about it.
  MotionVerdict motion;
  // The scheduler's mode after this frame.
  CaptureMode mode = CaptureMode::kIdle;
};

class CaptureLoop {
 public:
  // All references must outlive the loop.
  CaptureLoop(FrameSource& source, CaptureScheduler& scheduler, MotionGate& gate,
              const Clock& clock, SleepFn sleep = RealSleep());

  // Waits for the next sample time, then reads into `into`. A failed read is
  // returned unchanged (see frame_source.h for what each kind means); the
  // scheduler is not advanced, so the caller may simply call again.
  Result<CaptureStep> Next(Frame& into);

  // Counters for metrics.
  int64_t frames_sampled() const { return frames_sampled_; }
  int64_t frames_to_detector() const { return frames_to_detector_; }

 private:
  FrameSource& source_;
  CaptureScheduler& scheduler_;
  MotionGate& gate_;
  const Clock& clock_;
  SleepFn sleep_;
  int64_t frames_sampled_ = 0;
  int64_t frames_to_detector_ = 0;
};

}  // namespace rvm
