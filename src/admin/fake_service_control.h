// FakeServiceControl: an in-memory ServiceControl for the admin server's
// tests, its benchmark and the dashboard demo. It keeps a ServiceStatus the
// caller edits, evaluates readiness with the real EvaluateReadiness, and
// records the commands it receives. ServiceSimulator moves its numbers the
// way a running machine would (frames flowing, items decided, backlog
// draining) and feeds an AdminMetrics, for the dashboard demo and the
// browser test.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin_metrics.h"
#include "admin/readiness.h"
#include "ops/service_control.h"

namespace rvm::admin {

// A JPEG of `width` x `height` showing a coloured "item" shape, for thumbnails
// and snapshots (`seed` varies colour and position).
std::string MakeTestJpeg(int width, int height, int seed);

// A status as a machine that has run for a few hours would report it:
// a few hundred thousand frames, a short backlog, an online uplink.
ops::ServiceStatus RealisticStatus();

// A decided item with every field set (`n` varies id, label and outcome).
ops::RecentDecision RealisticDecision(int n, int64_t decided_ms, bool with_thumbnail);

class FakeServiceControl final : public ops::ServiceControl {
 public:
  explicit FakeServiceControl(ops::ServiceStatus status = RealisticStatus());

  // Edits the status under the fake's lock.
  void Update(const std::function<void(ops::ServiceStatus&)>& edit);
  // Newest first afterwards.
  void AddDecision(ops::RecentDecision decision);
  void SetSnapshot(std::string jpeg);
  void AddLog(std::string line);

  int triggers() const { return triggers_.load(); }
  int restarts() const { return restarts_.load(); }

  ops::ServiceStatus Status() override;
  std::vector<ops::ReadinessCheck> Readiness() override;
  std::vector<ops::RecentDecision> RecentDecisions(int max) override;
  std::string SnapshotJpeg() override;
  void Trigger() override;
  rvm::Status SetMaintenance(bool on, const std::string& reason) override;
  rvm::Status SetConfThreshold(double threshold) override;
  rvm::Status RestartPipeline() override;
  std::vector<std::string> RecentLogs(int max_lines) override;

 private:
  mutable std::mutex mu_;
  ops::ServiceStatus status_;                   // guarded by mu_
  std::vector<ops::RecentDecision> decisions_;  // guarded by mu_, oldest first
  std::string snapshot_;                        // guarded by mu_
  std::vector<std::string> logs_;               // guarded by mu_
  std::atomic<int> triggers_{0};
  std::atomic<int> restarts_{0};
};

// Moves a FakeServiceControl's numbers every `tick` on its own thread, and
// reports the same work to `metrics` through the observer hooks.
class ServiceSimulator {
 public:
  ServiceSimulator(FakeServiceControl& control, AdminMetrics& metrics,
                   std::chrono::milliseconds tick = std::chrono::milliseconds(100));
  ~ServiceSimulator();  // stops

  void Start();
  void Stop();

 private:
  void Run();
  void Tick();

  FakeServiceControl& control_;
  AdminMetrics& metrics_;
  const std::chrono::milliseconds tick_;
  std::mt19937 rng_{42};  // simulator thread only
  int items_ = 0;         // simulator thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace rvm::admin
