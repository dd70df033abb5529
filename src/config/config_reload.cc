#include "config/config_reload.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>
#include <utility>

#include <toml++/toml.h>

#include "config/config_summary.h"

namespace rvm {
namespace {

// Safe to change while running: each is read per frame, per item, per
// session, per retry or per line by code that keeps no state sized or opened
// from it. (The detector has a run-time setter for the confidence threshold
// only; NMS overlap and the detection cap are fixed when the model loads.)
constexpr std::string_view kRunTimeKeys[] = {
    "detector.conf_threshold",  // post-processing filter
    "capture.idle_fps",
    "capture.active_fps",  // the scheduler's rates
    "capture.motion_threshold",
    "capture.quiet_period_ms",      // the motion gate
    "sessions.idle_timeout_s",      // checked on every tick
    "uplink.heartbeat_interval_s",  // next heartbeat
    "uplink.retry_backoff_min_ms",
    "uplink.retry_backoff_max_ms",  // next retry
    "logging.level",
    "logging.format",  // next line
};

// Data tables whose every entry is safe to change: the accept threshold is
// compared when an item is decided, points are counted when it is credited.
constexpr std::string_view kRunTimeTables[] = {"policy.accept_threshold.", "sessions.points."};

// Needing a restart, with the reason per group.
constexpr std::string_view kRestartKeys[] = {
    // Identity: carried by every record, registered with the platform.
    "machine.id", "machine.name",
    // The model, its runtime session and its post-processor are built once.
    "detector.model_path", "detector.labels_path", "detector.backend", "detector.family",
    "detector.nms_iou", "detector.max_detections", "detector.intra_op_threads",
    "detector.cache_dir", "detector.max_image_pixels",
    // The motion gate's background and the tracker's boxes belong to the old region.
    "detector.roi",
    // The runtime session is placed on its hardware when the model loads.
    "detector.execution_providers", "detector.require_gpu", "detector.gpu_device_id",
    "detector.tensorrt_fp16", "detector.tensorrt_int8", "detector.tensorrt_workspace_bytes",
    // The frame source is opened with these; changing them means reopening it.
    "capture.source", "capture.device", "capture.uri", "capture.path", "capture.width",
    "capture.height", "capture.fps", "capture.loop", "capture.watch",
    "capture.reconnect_backoff_min_ms", "capture.reconnect_backoff_max_ms",
    "capture.stall_timeout_ms", "capture.failures_before_reopen", "capture.fourcc", "capture.pace",
    // Pools, queues and worker threads are sized at start-up.
    "pipeline.frame_pool_size", "pipeline.tensor_pool_size", "pipeline.frame_queue_capacity",
    "pipeline.detection_queue_capacity", "pipeline.inference_workers", "pipeline.batch_max_size",
    "pipeline.batch_timeout_ms",
    // Items in flight were matched and counted under the old values.
    "tracker.iou_match_threshold", "tracker.max_missed_frames", "tracker.min_frames_to_decide",
    "tracker.settle_frames", "tracker.multiple_items_min_score",
    // What an item is (label -> material, ignored labels, accepted materials)
    // must not change under an item being tracked.
    "policy.labels", "policy.ignored_labels", "policy.accepted_materials",
    // Identity on the platform.
    "sessions.guest_user_id",
    // The outbox database is open.
    "outbox.dir", "outbox.quota_bytes",
    // The platform client, its credentials, TLS context, batching and
    // circuit breaker are built at start-up.
    "uplink.contract", "uplink.base_url", "uplink.api_key", "uplink.machine_id", "uplink.email",
    "uplink.password", "uplink.token", "uplink.sync_offline_auth", "uplink.connect_timeout_ms",
    "uplink.request_timeout_ms", "uplink.batch_max_size", "uplink.batch_max_delay_ms",
    "uplink.ca_path", "uplink.circuit_failure_threshold", "uplink.circuit_open_ms",
    "uplink.circuit_max_open_ms", "uplink.replay_max_records_per_s", "uplink.records_per_round",
    "uplink.max_in_flight",
    // Listening sockets are bound; the token guards requests already accepted.
    "admin.bind_address", "admin.port", "admin.token",
    "admin.allow_unauthenticated_remote", "admin.pulse_port", "admin.probe_port",
    // The log file is open and its rotation set up.
    "logging.file", "logging.max_size_bytes", "logging.files_kept",
    // The decisions file is open.
    "sink.decisions_path"};

// Secrets are written to the summary as comments only, so they are compared here.
std::vector<std::pair<std::string, const Secret*>> Secrets(const Config& c) {
  return {{"uplink.api_key", &c.uplink.api_key},
          {"uplink.password", &c.uplink.password},
          {"uplink.token", &c.uplink.token},
          {"admin.token", &c.admin.token}};
}

void Flatten(const toml::table& t, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string name =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (v.is_table() && name != "policy.labels") {
      Flatten(*v.as_table(), name, out);
    } else {
      std::ostringstream rendered;
      rendered << toml::node_view<const toml::node>(&v);
      out[name] = rendered.str();
    }
  }
}

// Every key with its value rendered as TOML; secrets by value.
std::map<std::string, std::string> KeyValues(const Config& config) {
  std::map<std::string, std::string> values;
  Flatten(toml::parse(RenderConfigSummary(config)), "", values);
  for (const auto& [key, secret] : Secrets(config)) values[key] = secret->value;
  return values;
}

}  // namespace

ReloadClass ReloadClassOf(std::string_view key) {
  if (std::ranges::find(kRunTimeKeys, key) != std::end(kRunTimeKeys)) {
    return ReloadClass::kRunTime;
  }
  for (std::string_view table : kRunTimeTables) {
    if (key.starts_with(table) && key.size() > table.size()) return ReloadClass::kRunTime;
  }
  if (std::ranges::find(kRestartKeys, key) != std::end(kRestartKeys)) {
    return ReloadClass::kRestart;
  }
  return ReloadClass::kUnclassified;
}

ReloadPlan PlanReload(const Config& running, const Config& fresh) {
  ReloadPlan plan;
  if (running == fresh) return plan;
  const std::map<std::string, std::string> before = KeyValues(running);
  const std::map<std::string, std::string> after = KeyValues(fresh);
  std::vector<std::string> changed;
  for (const auto& [key, value] : before) {
    auto it = after.find(key);
    if (it == after.end() || it->second != value) changed.push_back(key);
  }
  for (const auto& [key, value] : after) {
    if (!before.contains(key)) changed.push_back(key);  // a new table entry
  }
  std::sort(changed.begin(), changed.end());
  for (std::string& key : changed) {
    (ReloadClassOf(key) == ReloadClass::kRunTime ? plan.apply : plan.restart_needed)
        .push_back(std::move(key));
  }
  return plan;
}

std::vector<std::string> ConfigKeys(const Config& config) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : KeyValues(config)) keys.push_back(key);
  return keys;
}

}  // namespace rvm
