#include "remote/status_report.h"

#include <cmath>

#include "base/process_stats.h"

namespace rvm::remote {
namespace {

using nlohmann::json;

// One decimal is all a dashboard shows; it also keeps the body short.
double Round1(double v) { return std::round(v * 10.0) / 10.0; }

void PutHost(json& out, const HostSample& host) {
  auto put = [&](const char* key, const std::optional<double>& v) {
    if (v) out[key] = Round1(*v);
  };
  put("cpu_usage_percent", host.cpu_usage_percent);
  put("memory_usage_percent", host.memory_usage_percent);
  put("disk_usage_percent", host.disk_usage_percent);
  put("cpu_temperature", host.cpu_temperature);
}

}  // namespace

json HealthMetrics(const ops::ServiceStatus& s, const HostSample& host) {
  json h = json::object();
  PutHost(h, host);
  h["uptime_s"] = std::floor(s.uptime_s);
  h["accepting"] = s.accepting;
  h["maintenance"] = s.maintenance;
  if (s.maintenance) h["maintenance_reason"] = s.maintenance_reason;
  h["last_frame_age_ms"] = s.last_frame_age_ms;
  h["pipeline_restarts"] = s.pipeline_restarts;
  h["capture_mode"] = s.pipeline.mode;
  h["frames_sampled"] = s.pipeline.frames_sampled;
  h["frames_inferred"] = s.pipeline.frames_inferred;
  h["inference_failures"] = s.pipeline.inference_failures;
  h["items_decided"] = s.pipeline.items_decided;
  h["items_accepted"] = s.pipeline.items_accepted;
  if (s.outbox) {
    h["backlog_records"] = s.outbox->pending;
    h["backlog_bytes"] = s.outbox->pending_bytes;
    h["backlog_oldest_age_ms"] = s.outbox->oldest_pending_age_ms;
    h["parked_records"] = s.outbox->parked;
    h["outbox_accepting"] = s.outbox->accepting;
    if (!s.outbox->accepting) h["outbox_not_accepting_reason"] = s.outbox->not_accepting_reason;
  }
  h["decisions_file_failures"] = s.decisions_file_failures;
  h["images_skipped"] = s.images_skipped;
  if (s.delivery) {
    h["delivered"] = s.delivery->delivered;
    h["delivery_retries"] = s.delivery->retries;
    h["delivery_circuit"] = s.delivery->circuit;
  }
  return h;
}

json SystemInfo(const ops::ServiceStatus& s, const HostSample& host) {
  json info = HealthMetrics(s, host);
  info["machine_id"] = s.machine_id;
  info["machine_name"] = s.machine_name;
  info["version"] = s.version;
  info["conf_threshold"] = s.conf_threshold;
  info["model"] = s.model;
  info["source"] = s.source;
  info["read_failures"] = s.pipeline.read_failures;
  info["record_failures"] = s.pipeline.record_failures;
  info["evidence_missing"] = s.pipeline.evidence_missing;
  if (s.outbox) {
    info["outbox_bytes_used"] = s.outbox->bytes_used;
    info["outbox_quota_bytes"] = s.outbox->quota_bytes;
  }
  if (s.delivery && !s.delivery->last_error.empty()) {
    info["delivery_last_error"] = s.delivery->last_error;
  }
  const ProcessStats p = ReadProcessStats();
  info["process_rss_bytes"] = p.rss_bytes;
  info["process_peak_rss_bytes"] = p.peak_rss_bytes;
  info["process_cpu_s"] = Round1(p.cpu_user_s + p.cpu_system_s);
  return info;
}

}  // namespace rvm::remote
