#include "app/control_surface.h"

#include <fmt/format.h>

#include "logging/logging.h"

namespace rvm::app {
namespace {

std::string NotAcceptingReason(const outbox::OutboxStats& o) {
  return o.not_accepting_reason.empty() ? std::string("quota or disk full")
                                        : o.not_accepting_reason;
}

}  // namespace

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
  s.last_frame_age_ms = s.pipeline.last_frame_age_ms(now);
  s.outbox = parts_.OutboxStats();
  s.delivery = parts_.DeliveryStats();
  s.decisions_file_failures = parts_.decisions_file_failures();
  s.accepting = !s.maintenance && (!s.outbox || s.outbox->accepting);
  return s;
}

std::vector<ops::ReadinessCheck> ControlSurface::Readiness() {
  const ops::ServiceStatus s = Status();
  std::vector<ops::ReadinessCheck> checks;
  // The service does not run without its model (Service::Open fails first).
  checks.push_back({"model", true, options_.model});

  ops::ReadinessCheck source{"frame_source", false, ""};
  if (parts_.pipeline_finished()) {
    source.detail = "the pipeline is not running";
  } else if (s.last_frame_age_ms < 0) {
    source.detail = "no frame delivered yet";
  } else if (s.last_frame_age_ms > options_.frame_stall.count()) {
    source.detail = fmt::format("no frame for {:.1f} s", s.last_frame_age_ms / 1000.0);
  } else {
    source.ok = true;
    source.detail = fmt::format("last frame {} ms ago", s.last_frame_age_ms);
  }
  checks.push_back(source);

  ops::ReadinessCheck box{"outbox", false, ""};
  if (!s.outbox) {
    box.detail = "outbox statistics unreadable";
  } else if (!s.outbox->accepting) {
    box.detail = "not accepting records: " + NotAcceptingReason(*s.outbox);
  } else {
    box.ok = true;
    box.detail = fmt::format("{} pending, {} of {} bytes used", s.outbox->pending,
                             s.outbox->bytes_used, s.outbox->quota_bytes);
  }
  checks.push_back(box);

  ops::ReadinessCheck accepting{"accepting", s.accepting, ""};
  if (s.maintenance) {
    accepting.detail =
        "in maintenance" +
        (s.maintenance_reason.empty() ? std::string() : " (" + s.maintenance_reason + ")");
  } else if (s.outbox && !s.outbox->accepting) {
    accepting.detail = "the outbox is not accepting records (" + NotAcceptingReason(*s.outbox) +
                       "): items are refused";
  } else {
    accepting.detail = "accepting items";
  }
  checks.push_back(accepting);
  return checks;
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
