#include "capture/capture_loop.h"

namespace rvm {

CaptureLoop::CaptureLoop(FrameSource& source, CaptureScheduler& scheduler, MotionGate& gate,
                         const Clock& clock, SleepFn sleep)
    : source_(source),
      scheduler_(scheduler),
      gate_(gate),
      clock_(clock),
      sleep_(std::move(sleep)) {}

Result<CaptureStep> CaptureLoop::Next(Frame& into) {
  auto due = scheduler_.NextSampleDue();
  auto now = clock_.Now();
  if (due > now) sleep_(due - now);
  Status s = source_.Read(into);
  if (!s.ok()) return s;
  CaptureStep step;
  step.motion = gate_.Update(into.image);
  scheduler_.OnSample(step.motion.motion);
  step.to_detector = scheduler_.ShouldRunDetector();
  step.mode = scheduler_.mode();
  ++frames_sampled_;
  if (step.to_detector) ++frames_to_detector_;
  return step;
}

}  // namespace rvm
