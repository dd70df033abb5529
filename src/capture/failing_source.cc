#include "capture/failing_source.h"

namespace rvm {

FailingSource::FailingSource(std::unique_ptr<FrameSource> inner, FailureSchedule schedule,
                             SleepFn sleep)
    : inner_(std::move(inner)), schedule_(schedule), sleep_(std::move(sleep)) {}

Status FailingSource::Open() {
  ++open_calls_;
  if (fault_ != Fault::kNone) {
    if (schedule_.failed_reopens < 0 || reopens_to_fail_ > 0) {
      if (reopens_to_fail_ > 0) --reopens_to_fail_;
      ++injected_failures_;
      return Unavailable("source '" + name() + "': device not present (injected)");
    }
  }
  RVM_RETURN_IF_ERROR(inner_->Open());
  if (fault_ != Fault::kNone) {
    fault_ = Fault::kNone;
    armed_ = schedule_.repeat;
  }
  frames_since_open_ = 0;
  return Status::Ok();
}

Status FailingSource::Read(Frame& into) {
  if (fault_ == Fault::kNone && armed_) {
    if (schedule_.disappear_after_frames >= 0 &&
        frames_since_open_ >= schedule_.disappear_after_frames) {
      fault_ = Fault::kGone;
      reopens_to_fail_ = schedule_.failed_reopens;
      inner_->Close();
    } else if (schedule_.stall_after_frames >= 0 &&
               frames_since_open_ >= schedule_.stall_after_frames) {
      fault_ = Fault::kStalled;
      reopens_to_fail_ = schedule_.failed_reopens;
    }
  }
  switch (fault_) {
    case Fault::kGone:
      ++injected_failures_;
      return Unavailable("source '" + name() + "': device disappeared (injected)");
    case Fault::kStalled:
      ++injected_failures_;
      sleep_(schedule_.stall_for);
      return Unavailable("source '" + name() + "': read timed out (injected stall)");
    case Fault::kNone:
      break;
  }
  RVM_RETURN_IF_ERROR(inner_->Read(into));
  ++frames_since_open_;
  return Status::Ok();
}

}  // namespace rvm
