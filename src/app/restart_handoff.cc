#include "app/restart_handoff.h"

#include <string>

namespace rvm::app {

RestartHandoff::RestartHandoff(std::function<void()> stop_pipeline)
    : stop_pipeline_(std::move(stop_pipeline)) {}

int64_t RestartHandoff::Request() {
  std::lock_guard lock(mu_);
  if (!requested_) {
    requested_ = true;
    if (stop_pipeline_) stop_pipeline_();
  }
  return completed_;
}

bool RestartHandoff::requested() const {
  std::lock_guard lock(mu_);
  return requested_;
}

void RestartHandoff::Complete(const Status& result) {
  {
    std::lock_guard lock(mu_);
    requested_ = false;
    last_result_ = result;
    ++completed_;
  }
  cv_.notify_all();
}

Status RestartHandoff::WaitPast(int64_t completed, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return completed_ != completed; })) {
    return Unavailable("the pipeline did not restart within " +
                       std::to_string(timeout.count() / 1000) + " s");
  }
  return last_result_;
}

Status RestartHandoff::last_result() const {
  std::lock_guard lock(mu_);
  return last_result_;
}

}  // namespace rvm::app
