#include "app/control_surface.h"

#include "admin/readiness.h"
#include "logging/logging.h"

namespace rvm::app {

ControlSurface::ControlSurface(ControlSurfaceOptions options, ServiceParts& parts,
                               LiveSettings& settings, const RecentActivity& activity,
                               const Clock& clock)
    : options_(std::move(options)),
      parts_(parts),
      settings_(settings),
      activity_(activity),
      clock_(clock),
      started_at_(clock.Now()) {}

ops::ServiceStatus ControlSurface::Status() {
  ops::ServiceStatus s;
  s.machine_id = options_.machine_id;
  s.machine_name = options_.machine_name;
  s.version = options_.version;
  const auto now = clock_.Now();
  s.uptime_s = std::chrono::duration<double>(now - started_at_).count();
  {
    std::lock_guard lock(mu_);
    s.maintenance = maintenance_;
    s.maintenance_reason = maintenance_reason_;
  }
  s.conf_threshold = settings_.current().conf_threshold;
  s.model = options_.model;
  s.source = parts_.DescribeSource();
  s.pipeline_restarts = parts_.pipeline_restarts();
  s.pipeline = parts_.pipeline_stats();
  s.pipeline_running = !parts_.pipeline_finished();
  s.last_frame_age_ms = s.pipeline.last_frame_age_ms(now);
  s.outbox = parts_.OutboxStats();
  s.outbox_unreadable = !s.outbox;  // the service always uses its outbox
  s.delivery = parts_.DeliveryStats();
  s.decisions_file_failures = parts_.decisions_file_failures();
  s.images_skipped = parts_.images_skipped();
  s.accepting = !s.maintenance && (!s.outbox || s.outbox->accepting);
  return s;
}

std::vector<ops::ReadinessCheck> ControlSurface::Readiness() {
  return admin::EvaluateReadiness(Status(), options_.readiness);
}

std::vector<ops::RecentDecision> ControlSurface::RecentDecisions(int max) {
  return activity_.RecentDecisions(max);
}

std::string ControlSurface::SnapshotJpeg() { return activity_.SnapshotJpeg(); }

void ControlSurface::Trigger() { parts_.Trigger(); }

rvm::Status ControlSurface::SetMaintenance(bool on, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    maintenance_ = on;
    maintenance_reason_ = on ? reason : "";
    parts_.SetOutOfService(on, on ? "maintenance: " + reason : "");
  }
  Logger("run").Info(std::string(on ? "entering maintenance" : "leaving maintenance") +
                     (reason.empty() ? "" : " (" + reason + ")"));
  return rvm::Status::Ok();
}

rvm::Status ControlSurface::SetConfThreshold(double threshold) {
  return settings_.SetConfThreshold(threshold);
}

rvm::Status ControlSurface::RestartPipeline() { return parts_.RestartPipeline(); }

std::vector<std::string> ControlSurface::RecentLogs(int max_lines) {
  if (!options_.recent_logs) return {};
  return options_.recent_logs(max_lines);
}

}  // namespace rvm::app
