// ControlSurface: the ServiceControl (ops/service_control.h) the admin server,
// the dashboard and the platform's remote commands use: status and readiness
// read at one moment, recent decisions and the snapshot, trigger,
// maintenance, the confidence threshold and a pipeline restart.
//
// It owns only the maintenance state; everything else it reads from or asks
// of the running service through ServiceParts (Service implements it; tests
// use a fake), the run-time settings through LiveSettings (so a threshold
// from the admin API or the platform is validated and applied like one from
// a reload), and the recent decisions and snapshot through RecentActivity.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "admin/readiness.h"
#include "app/live_settings.h"
#include "app/recent_activity.h"
#include "base/clock.h"
#include "ops/service_control.h"

namespace rvm::app {

// What the control surface reads and asks of the running service. Every
// method may be called from any thread.
class ServiceParts {
 public:
  virtual ~ServiceParts() = default;
  virtual PipelineStats pipeline_stats() = 0;
  // The pipeline has finished (or was never started): no frames come.
  virtual bool pipeline_finished() = 0;
  virtual int64_t pipeline_restarts() = 0;
  virtual std::string DescribeSource() = 0;
  virtual void Trigger() = 0;
  virtual Status RestartPipeline() = 0;
  // nullopt when unreadable.
  virtual std::optional<outbox::OutboxStats> OutboxStats() = 0;
  // nullopt when no platform is configured.
  virtual std::optional<uplink::DeliveryStats> DeliveryStats() = 0;
  // Writes and flushes of the decisions file (a side log) that failed.
  virtual int64_t decisions_file_failures() = 0;
  // Image files an image-folder source skipped; 0 for other sources.
  virtual int64_t images_skipped() const = 0;
  // Stops (on) or resumes accepting items; `reason` goes on rejected items.
  virtual void SetOutOfService(bool on, const std::string& reason) = 0;
};

struct ControlSurfaceOptions {
  std::string machine_id;
  std::string machine_name;
  std::string version;
  std::string model;  // the model file
  // When readiness counts the frame source as stalled.
  admin::ReadinessOptions readiness;
  // Lines of recent logs; empty = none kept.
  std::function<std::vector<std::string>(int)> recent_logs;
};

class ControlSurface final : public ops::ServiceControl {
 public:
  // Everything given must outlive it. `clock` is the pipeline's (frame times).
  ControlSurface(ControlSurfaceOptions options, ServiceParts& parts, LiveSettings& settings,
                 const RecentActivity& activity, const Clock& clock);

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
  const ControlSurfaceOptions options_;
  ServiceParts& parts_;
  LiveSettings& settings_;
  const RecentActivity& activity_;
  const Clock& clock_;
  const std::chrono::steady_clock::time_point started_at_;

  std::mutex mu_;  // serialises maintenance changes with the recorder's state
  bool maintenance_ = false;        // guarded by mu_
  std::string maintenance_reason_;  // guarded by mu_
};

}  // namespace rvm::app
