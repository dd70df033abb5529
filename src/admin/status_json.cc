#include "admin/status_json.h"

#include "base/iso_time.h"

namespace rvm::admin {
namespace {

using nlohmann::json;

json QueueJson(const QueueStats& q) {
  return {{"depth", q.depth},     {"capacity", q.capacity}, {"max_depth", q.max_depth},
          {"pushed", q.pushed},   {"popped", q.popped},     {"dropped", q.dropped},
          {"blocked", q.blocked}, {"rejected", q.rejected}};
}

json Percent(std::optional<double> ratio) {
  return ratio ? json(std::round(*ratio * 1000.0) / 10.0) : json();
}

}  // namespace

json StatusToJson(const ops::ServiceStatus& s, const std::vector<StageLatency>& stages,
                  const SystemSample& sys) {
  const PipelineStats& p = s.pipeline;
  json out = {
      {"machine_id", s.machine_id},
      {"machine_name", s.machine_name},
      {"version", s.version},
      {"uptime_s", s.uptime_s},
      {"maintenance", s.maintenance},
      {"maintenance_reason", s.maintenance_reason},
      {"accepting", s.accepting},
      {"conf_threshold", s.conf_threshold},
      {"model", s.model},
      {"source", s.source},
      {"last_frame_age_ms", s.last_frame_age_ms},
      {"pipeline_restarts", s.pipeline_restarts},
      {"pipeline",
       {{"mode", p.mode},
        {"frames_captured", p.frames_sampled},
        {"frames_to_detector", p.frames_to_detector},
        {"frames_idle", p.frames_idle},
        {"frames_processed", p.frames_inferred},
        {"frames_dropped", p.frame_queue.dropped},
        {"frames_tracked", p.frames_tracked},
        {"read_failures", p.read_failures},
        {"frame_queue", QueueJson(p.frame_queue)},
        {"result_queue", QueueJson(p.result_queue)},
        {"frame_pool",
         {{"size", p.frame_pool.size},
          {"in_use", p.frame_pool.in_use},
          {"max_in_use", p.frame_pool.max_in_use},
          {"waits", p.frame_pool.waits}}},
        {"workers", p.workers},
        {"batch_capacity", p.batch_capacity},
        {"batches", p.batches},
        {"mean_batch", p.mean_batch()},
        {"max_batch", p.max_batch},
        {"inference_failures", p.inference_failures},
        {"items_decided", p.items_decided},
        {"items_accepted", p.items_accepted},
        {"record_failures", p.record_failures}}},
  };
  out["decisions_file_failures"] = s.decisions_file_failures;
  out["images_skipped"] = s.images_skipped;
  json stage_list = json::array();
  for (const StageLatency& st : stages) {
    stage_list.push_back({{"stage", st.stage},
                          {"count", st.count},
                          {"sum_ms", st.sum_ms},
                          {"mean_ms", st.count > 0 ? st.sum_ms / st.count : 0.0},
                          {"p50_ms", st.p50_ms},
                          {"p90_ms", st.p90_ms},
                          {"p99_ms", st.p99_ms}});
  }
  out["stages"] = std::move(stage_list);
  if (s.outbox) {
    const outbox::OutboxStats& o = *s.outbox;
    out["outbox"] = {{"pending", o.pending},
                     {"pending_bytes", o.pending_bytes},
                     {"oldest_pending_age_ms", o.oldest_pending_age_ms},
                     {"delivered", o.delivered},
                     {"parked", o.parked},
                     {"accepting", o.accepting},
                     {"not_accepting_reason", o.not_accepting_reason},
                     {"bytes_used", o.bytes_used},
                     {"quota_bytes", o.quota_bytes}};
  } else {
    out["outbox"] = nullptr;
  }
  if (s.delivery) {
    const uplink::DeliveryStats& d = *s.delivery;
    out["uplink"] = {{"requests", d.api_calls},
                     {"delivered", d.delivered},
                     {"retries", d.retries},
                     {"parked", d.parked},
                     {"auth_failures", d.auth_failures},
                     {"connections_opened", d.connections_opened},
                     {"circuit", d.circuit},
                     {"last_error", d.last_error}};
  } else {
    out["uplink"] = nullptr;
  }
  json system = {{"rss_bytes", sys.process.rss_bytes},
                 {"process_cpu_s", sys.process.cpu_user_s + sys.process.cpu_system_s}};
  system["cpu_usage_percent"] = Percent(sys.cpu_usage_ratio);
  system["memory_used_percent"] = Percent(sys.memory_used_ratio());
  system["disk_used_percent"] = Percent(sys.disk_used_ratio());
  system["gpu_load_percent"] = Percent(sys.gpu_load_ratio);
  json temps = json::object();
  for (const ThermalReading& t : sys.thermal) temps[t.type + " (" + t.zone + ")"] = t.celsius;
  system["temperatures_c"] = std::move(temps);
  out["system"] = std::move(system);
  return out;
}

json ReadinessToJson(const std::vector<ops::ReadinessCheck>& checks) {
  json list = json::array();
  json failing = json::array();
  bool ready = !checks.empty();
  for (const ops::ReadinessCheck& c : checks) {
    list.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
    if (!c.ok) {
      failing.push_back(c.name);
      ready = false;
    }
  }
  return {{"ready", ready}, {"failing", std::move(failing)}, {"checks", std::move(list)}};
}

json DecisionsToJson(const std::vector<ops::RecentDecision>& decisions) {
  json list = json::array();
  for (const ops::RecentDecision& r : decisions) {
    json d = DecisionToJson(r.decision);
    d["thumbnail_url"] = r.thumbnail_jpeg.empty()
                             ? json()
                             : json("/api/decisions/" + r.decision.item_id + "/thumbnail.jpg");
    list.push_back(std::move(d));
  }
  return {{"decisions", std::move(list)}};
}

json PulseJson(const ops::ServiceStatus& s, const std::vector<ops::ReadinessCheck>& checks,
               int64_t now_ms) {
  json services = json::object();
  for (const ops::ReadinessCheck& c : checks) services[c.name] = c.ok ? "ok" : "failing";
  services["uplink"] =
      s.delivery ? (s.delivery->circuit == "closed" ? "ok" : "circuit_" + s.delivery->circuit)
                 : "offline";
  return {{"status", "ok"},
          {"services", std::move(services)},
          {"current_time_iso", IsoUtcMillis(now_ms)},
          {"uptime_service_seconds", s.uptime_s}};
}

json HealthCheckJson(const ops::ServiceStatus& s, const std::vector<ops::ReadinessCheck>& checks,
                     int64_t now_ms) {
  json by_name = json::object();
  bool ready = !checks.empty();
  for (const ops::ReadinessCheck& c : checks) {
    by_name[c.name] = c.ok;
    ready = ready && c.ok;
  }
  return {{"status", ready ? "ok" : "degraded"}, {"ready", ready},
          {"machine_id", s.machine_id},          {"version", s.version},
          {"checks", std::move(by_name)},        {"current_time_iso", IsoUtcMillis(now_ms)}};
}

json ProbeMetricsJson(const ops::ServiceStatus& s, const SystemSample& sys,
                      std::optional<int64_t> last_decision_ms) {
  json system = json::object();
  auto put = [&](const char* key, std::optional<double> ratio) {
    if (ratio) system[key] = Percent(ratio);
  };
  put("cpu_usage", sys.cpu_usage_ratio);
  put("memory_usage", sys.memory_used_ratio());
  put("disk_usage", sys.disk_used_ratio());
  put("gpu_usage", sys.gpu_load_ratio);
  if (std::optional<double> t = sys.max_celsius()) system["temperature"] = *t;

  const PipelineStats& p = s.pipeline;
  int64_t errors = p.inference_failures + p.record_failures;
  int64_t warnings = p.read_failures + p.frame_queue.dropped;
  if (s.delivery) {
    errors += s.delivery->auth_failures + s.delivery->outbox_errors + s.delivery->parked;
    warnings += s.delivery->retries;
  }
  json app = {
      {"software_version", s.version},
      {"ai_model_version", s.model},
      {"ai_model_path", s.model},
      {"uptime_seconds", std::min(s.uptime_s, kPlatformMaxUptimeSeconds)},
      {"deposit_count_since_restart", p.items_accepted},
      {"last_deposit_time", last_decision_ms ? json(IsoUtcMillis(*last_decision_ms)) : json()},
      {"error_count", errors},
      {"warning_count", warnings}};
  return {{"system_metrics", std::move(system)}, {"application_metrics", std::move(app)}};
}

}  // namespace rvm::admin
