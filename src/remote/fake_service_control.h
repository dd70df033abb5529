// FakeServiceControl: a ServiceControl for the remote tests that records every
// call and keeps the state the calls change (maintenance, threshold,
// restarts). Test-only; thread-safe like the real one.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ops/service_control.h"

namespace rvm::remote::testing {

class FakeServiceControl final : public ops::ServiceControl {
 public:
  FakeServiceControl() {
    status_.machine_id = "rvm-test";
    status_.machine_name = "Chute-1";
    status_.version = "0.1.0-test";
    status_.uptime_s = 42.7;
    status_.conf_threshold = 0.5;
    status_.model = "model.onnx";
    status_.source = "synthetic";
    status_.pipeline.frames_sampled = 1000;
    status_.pipeline.frames_inferred = 250;
    status_.pipeline.items_decided = 12;
    status_.pipeline.items_accepted = 10;
    outbox::OutboxStats o;
    o.pending = 3;
    o.pending_bytes = 4096;
    status_.outbox = o;
  }

  ops::ServiceStatus Status() override {
    std::lock_guard lock(mu_);
    return status_;
  }
  std::vector<ops::ReadinessCheck> Readiness() override { return {}; }
  std::vector<ops::RecentDecision> RecentDecisions(int) override { return {}; }
  std::string SnapshotJpeg() override {
    std::lock_guard lock(mu_);
    calls_.push_back("SnapshotJpeg");
    return snapshot_;
  }
  void Trigger() override {
    std::lock_guard lock(mu_);
    calls_.push_back("Trigger");
  }
  rvm::Status SetMaintenance(bool on, const std::string& reason) override {
    std::lock_guard lock(mu_);
    calls_.push_back(std::string("SetMaintenance(") + (on ? "on" : "off") + ", " + reason + ")");
    status_.maintenance = on;
    status_.maintenance_reason = on ? reason : "";
    status_.accepting = !on;
    return rvm::Status::Ok();
  }
  rvm::Status SetConfThreshold(double threshold) override {
    std::lock_guard lock(mu_);
    calls_.push_back("SetConfThreshold(" + std::to_string(threshold) + ")");
    if (threshold < 0 || threshold > 1)
      return InvalidArgument("detector.conf_threshold: out of range");
    status_.conf_threshold = threshold;
    return rvm::Status::Ok();
  }
  rvm::Status RestartPipeline() override {
    std::lock_guard lock(mu_);
    calls_.push_back("RestartPipeline");
    if (!restart_error_.ok()) return restart_error_;
    ++status_.pipeline_restarts;
    return rvm::Status::Ok();
  }
  std::vector<std::string> RecentLogs(int max_lines) override {
    std::lock_guard lock(mu_);
    calls_.push_back("RecentLogs(" + std::to_string(max_lines) + ")");
    const size_t n = std::min(logs_.size(), static_cast<size_t>(std::max(0, max_lines)));
    return std::vector<std::string>(logs_.end() - static_cast<std::ptrdiff_t>(n), logs_.end());
  }

  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  void set_snapshot(std::string jpeg) {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(jpeg);
  }
  void set_logs(std::vector<std::string> logs) {
    std::lock_guard lock(mu_);
    logs_ = std::move(logs);
  }
  void set_status(const std::function<void(ops::ServiceStatus&)>& change) {
    std::lock_guard lock(mu_);
    change(status_);
  }
  void set_restart_error(rvm::Status s) {
    std::lock_guard lock(mu_);
    restart_error_ = std::move(s);
  }

 private:
  std::mutex mu_;
  ops::ServiceStatus status_;       // guarded by mu_
  std::vector<std::string> calls_;  // guarded by mu_
  std::string snapshot_;            // guarded by mu_
  std::vector<std::string> logs_;   // guarded by mu_; oldest first
  rvm::Status restart_error_;       // guarded by mu_
};

}  // namespace rvm::remote::testing
