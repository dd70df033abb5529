#include "capture/capture_scheduler.h"

#include <algorithm>
#include <string>

namespace rvm {

const char* CaptureModeName(CaptureMode mode) {
  return mode == CaptureMode::kIdle ? "idle" : "active";
}

CaptureScheduler::CaptureScheduler(const CaptureScheduleOptions& options, const Clock& clock)
    : options_(options), clock_(clock), next_due_(clock.Now()) {}

Status CaptureScheduler::Validate(const CaptureScheduleOptions& o) {
  if (!(o.idle_fps > 0)) {
    return InvalidArgument("capture schedule: idle_fps " + std::to_string(o.idle_fps) +
                           " must be > 0");
  }
  if (!(o.active_fps >= o.idle_fps)) {
    return InvalidArgument("capture schedule: active_fps " + std::to_string(o.active_fps) +
                           " must be >= idle_fps " + std::to_string(o.idle_fps));
  }
  if (o.quiet_period.count() < 0) {
    return InvalidArgument("capture schedule: quiet_period must not be negative");
  }
  return Status::Ok();
}

std::chrono::steady_clock::duration CaptureScheduler::Period() const {
  double fps = mode_ == CaptureMode::kIdle ? options_.idle_fps : options_.active_fps;
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / fps));
}

void CaptureScheduler::EnterActive(TimePoint now) {
  last_activity_ = now;
  if (mode_ == CaptureMode::kActive) return;
  mode_ = CaptureMode::kActive;
  ++idle_to_active_;
  // The idle wait may be up to a whole idle period away; look now instead.
  next_due_ = std::min(next_due_, now);
}

void CaptureScheduler::Refresh() {
  TimePoint now = clock_.Now();
  if (trigger_pending_.exchange(false, std::memory_order_acq_rel)) EnterActive(now);
  if (item_in_progress_) last_activity_ = now;
  if (mode_ == CaptureMode::kActive && now - last_activity_ >= options_.quiet_period) {
    mode_ = CaptureMode::kIdle;
    ++active_to_idle_;
  }
}

CaptureMode CaptureScheduler::mode() {
  Refresh();
  return mode_;
}

CaptureScheduler::TimePoint CaptureScheduler::NextSampleDue() {
  Refresh();
  return next_due_;
}

void CaptureScheduler::OnSample(bool motion) {
  TimePoint now = clock_.Now();
  if (motion) EnterActive(now);
  Refresh();
  // Keep a steady cadence, but never schedule in the past after a slow frame
  // (no burst of catch-up samples).
  next_due_ = std::max(next_due_ + Period(), now);
}

void CaptureScheduler::SetOptions(const CaptureScheduleOptions& options) {
  options_ = options;
  // An idle wait under the old rate may be far longer than the new period.
  next_due_ = std::min(next_due_, clock_.Now() + Period());
}

void CaptureScheduler::SetItemInProgress(bool in_progress) {
  item_in_progress_ = in_progress;
  if (in_progress) EnterActive(clock_.Now());
}

}  // namespace rvm
