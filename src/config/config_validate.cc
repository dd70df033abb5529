#include "config/config_validate.h"

#include "config/toml_text.h"

#include <charconv>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

namespace rvm {
namespace {

std::string Quote(std::string_view s) { return TomlString(s); }

// Shortest form that reads back as the same double ("0.3", "2", "1e-07").
std::string Num(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

class Checker {
 public:
  void Fail(const std::string& key, const std::string& value, const std::string& what) {
    issues_.push_back({key, key + " = " + value + ": " + what});
  }

  void InRange(const std::string& key, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) Fail(key, Num(v), "must be in [" + Num(lo) + ", " + Num(hi) + "]");
  }
  // (lo, hi]: for rates and thresholds where zero is meaningless.
  void AboveUpTo(const std::string& key, double v, double lo, double hi) {
    if (!(v > lo && v <= hi)) Fail(key, Num(v), "must be in (" + Num(lo) + ", " + Num(hi) + "]");
  }
  void InRange(const std::string& key, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
      Fail(key, std::to_string(v),
           "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
  }
  void InRange(const std::string& key, int v, int64_t lo, int64_t hi) {
    InRange(key, static_cast<int64_t>(v), lo, hi);
  }
  void OneOf(const std::string& key, const std::string& v,
             std::initializer_list<std::string_view> allowed) {
    for (std::string_view a : allowed) {
      if (v == a) return;
    }
    std::string list;
    for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    Fail(key, Quote(v), "must be one of " + list);
  }
  void NonEmpty(const std::string& key, const std::string& v) {
    if (v.empty()) Fail(key, Quote(v), "must not be empty");
  }

  std::vector<ConfigIssue> Take() { return std::move(issues_); }

 private:
  std::vector<ConfigIssue> issues_;
};

constexpr int64_t kMaxMs = 3'600'000;  // one hour: longer waits are surely a typo

void CheckDetector(const DetectorConfig& d, Checker& c) {
  c.NonEmpty("detector.model_path", d.model_path);
  c.OneOf("detector.backend", d.backend, {"ort", "opencv"});
  c.OneOf("detector.family", d.family,
          {"auto", "yolox", "yolov5", "yolov7", "yolov8", "yolo11", "yolov11", "fastestdet"});
  c.InRange("detector.nms_iou", d.nms_iou, 0.0, 1.0);
  c.InRange("detector.max_detections", d.max_detections, 1, 10'000);
  c.InRange("detector.intra_op_threads", d.intra_op_threads, 0, 256);
  c.InRange("detector.max_image_pixels", d.max_image_pixels, kMinImagePixelLimit,
            kMaxImagePixelLimit);
  if (std::string problem = RoiProblem(d.roi); !problem.empty()) {
    c.Fail("detector.roi", RoiText(d.roi), problem);
  }
  for (const ExecutionProviderProblem& p : ExecutionProviderProblems(d.execution)) {
    c.Fail("detector." + p.key, p.value, p.problem);
  }
  if (d.backend != "ort" && d.execution.wants_gpu()) {
    c.Fail("detector.execution_providers", ExecutionProviderListText(d.execution.providers),
           "GPU providers need detector.backend = \"ort\" (OpenCV DNN runs on the CPU)");
  }
}

void CheckCapture(const CaptureConfig& cap, Checker& c) {
  c.OneOf("capture.source", cap.source, {"camera", "gstreamer", "video", "images", "synthetic"});
  if (cap.source == "camera") c.NonEmpty("capture.device", cap.device);
  if (cap.source == "gstreamer") c.NonEmpty("capture.uri", cap.uri);
  if (cap.source == "video" || cap.source == "images") c.NonEmpty("capture.path", cap.path);
  c.InRange("capture.width", cap.width, 1, 16384);
  c.InRange("capture.height", cap.height, 1, 16384);
  c.AboveUpTo("capture.fps", cap.fps, 0, 1000);
  c.InRange("capture.reconnect_backoff_min_ms", cap.reconnect_backoff_min_ms, 1, kMaxMs);
  c.InRange("capture.reconnect_backoff_max_ms", cap.reconnect_backoff_max_ms, 1, kMaxMs);
  c.InRange("capture.stall_timeout_ms", cap.stall_timeout_ms, 1, kMaxMs);
  c.InRange("capture.failures_before_reopen", cap.failures_before_reopen, 1, 1000);
  if (!cap.fourcc.empty() && cap.fourcc.size() != 4) {
    c.Fail("capture.fourcc", Quote(cap.fourcc), "must be 4 characters (e.g. \"MJPG\") or empty");
  }
  if (cap.reconnect_backoff_max_ms < cap.reconnect_backoff_min_ms) {
    c.Fail("capture.reconnect_backoff_max_ms", std::to_string(cap.reconnect_backoff_max_ms),
           "must be >= capture.reconnect_backoff_min_ms (" +
               std::to_string(cap.reconnect_backoff_min_ms) + ")");
  }
}

void CheckPipeline(const PipelineConfig& p, Checker& c) {
  c.InRange("pipeline.frame_pool_size", p.frame_pool_size, 1, 1024);
  c.InRange("pipeline.tensor_pool_size", p.tensor_pool_size, 1, 1024);
  c.InRange("pipeline.frame_queue_capacity", p.frame_queue_capacity, 1, 65536);
  c.InRange("pipeline.detection_queue_capacity", p.detection_queue_capacity, 1, 65536);
  c.InRange("pipeline.inference_workers", p.inference_workers, 1, 64);
  c.InRange("pipeline.batch_max_size", p.batch_max_size, 1, 64);
  c.InRange("pipeline.batch_timeout_ms", p.batch_timeout_ms, 0, 10'000);
  if (p.tensor_pool_size < p.batch_max_size) {
    c.Fail("pipeline.tensor_pool_size", std::to_string(p.tensor_pool_size),
           "must be >= pipeline.batch_max_size (" + std::to_string(p.batch_max_size) + ")");
  }
}

void CheckTracker(const TrackerConfig& t, Checker& c) {
  c.AboveUpTo("tracker.iou_match_threshold", t.iou_match_threshold, 0.0, 1.0);
  c.InRange("tracker.max_missed_frames", t.max_missed_frames, 0, 1000);
  c.InRange("tracker.min_frames_to_decide", t.min_frames_to_decide, 1, 1000);
  c.InRange("tracker.settle_frames", t.settle_frames, 1, 100'000);
  c.InRange("tracker.multiple_items_min_score", t.multiple_items_min_score, 0.0, 1.0);
  if (t.settle_frames < t.min_frames_to_decide) {
    c.Fail(
        "tracker.settle_frames", std::to_string(t.settle_frames),
        "must be >= tracker.min_frames_to_decide (" + std::to_string(t.min_frames_to_decide) + ")");
  }
}

void CheckPolicy(const PolicyConfig& p, Checker& c) {
  if (p.label_materials.empty()) c.Fail("policy.labels", "{}", "must map at least one label");
  const std::set<std::string> ignored(p.ignored_labels.begin(), p.ignored_labels.end());
  for (const auto& [label, material] : p.label_materials) {
    if (label.empty()) c.Fail("policy.labels", Quote(label), "a label must not be empty");
    if (ignored.count(label) != 0) {
      c.Fail("policy.ignored_labels", Quote(label),
             "is also mapped in policy.labels; a label is either ignored or mapped");
    }
  }
  if (p.accepted_materials.empty()) {
    c.Fail("policy.accepted_materials", "[]", "must name at least one material");
  }
  std::set<Material> seen;
  for (Material m : p.accepted_materials) {
    if (!seen.insert(m).second) {
      c.Fail("policy.accepted_materials", Quote(MaterialName(m)), "is listed twice");
    }
  }
}

void CheckUplink(const UplinkConfig& u, Checker& c) {
  c.OneOf("uplink.contract", u.contract, {"edge_v1", "v2"});
  c.OneOf("uplink.sync_offline_auth", u.sync_offline_auth, {"key", "bearer"});
  const bool online = !u.base_url.empty();
  if (online && u.base_url.rfind("http://", 0) != 0 && u.base_url.rfind("https://", 0) != 0) {
    c.Fail("uplink.base_url", Quote(u.base_url), "must start with http:// or https://");
  }
  if (online && u.contract == "edge_v1" && !u.api_key.set()) {
    c.Fail("uplink.api_key", "(unset)",
           "required for contract edge_v1 (set it, uplink.api_key_env, or RVM_EDGE_API_KEY)");
  }
  if (online && u.contract == "edge_v1" && u.sync_offline_auth == "bearer") {
    if (!u.token.set()) {
      c.Fail("uplink.token", "(unset)",
             "required for sync_offline_auth = \"bearer\" (set it, uplink.token_env, or "
             "RVM_EDGE_TOKEN)");
    }
    if (u.machine_id <= 0) {
      c.Fail("uplink.machine_id", std::to_string(u.machine_id),
             "must be the platform's machine id (> 0) for sync_offline_auth = \"bearer\"");
    }
  }
  if (online && u.contract == "v2") {
    c.NonEmpty("uplink.email", u.email);
    if (!u.password.set()) {
      c.Fail("uplink.password", "(unset)",
             "required for contract v2 (set it, uplink.password_env, or RVM_EDGE_PASSWORD)");
    }
    if (u.machine_id <= 0) {
      c.Fail("uplink.machine_id", std::to_string(u.machine_id),
             "must be the platform's rvm_id (> 0) for contract v2");
    }
  }
  c.InRange("uplink.machine_id", u.machine_id, 0, std::numeric_limits<int64_t>::max());
  c.InRange("uplink.connect_timeout_ms", u.connect_timeout_ms, 1, 600'000);
  c.InRange("uplink.request_timeout_ms", u.request_timeout_ms, 1, 600'000);
  c.InRange("uplink.batch_max_size", u.batch_max_size, 1, 1000);
  c.InRange("uplink.batch_max_delay_ms", u.batch_max_delay_ms, 0, 600'000);
  c.InRange("uplink.circuit_failure_threshold", u.circuit_failure_threshold, 1, 1000);
  c.InRange("uplink.circuit_open_ms", u.circuit_open_ms, 1, kMaxMs);
  c.InRange("uplink.circuit_max_open_ms", u.circuit_max_open_ms, 1, kMaxMs);
  if (u.circuit_max_open_ms < u.circuit_open_ms) {
    c.Fail("uplink.circuit_max_open_ms", std::to_string(u.circuit_max_open_ms),
           "must be >= uplink.circuit_open_ms (" + std::to_string(u.circuit_open_ms) + ")");
  }
  c.InRange("uplink.replay_max_records_per_s", u.replay_max_records_per_s, 0.0, 10000.0);
  c.InRange("uplink.records_per_round", u.records_per_round, 1, 10000);
  if (u.records_per_round < u.batch_max_size) {
    c.Fail("uplink.records_per_round", std::to_string(u.records_per_round),
           "must be >= uplink.batch_max_size (" + std::to_string(u.batch_max_size) +
               "): a round must be able to fill a sync-offline batch");
  }
  c.InRange("uplink.max_in_flight", u.max_in_flight, 1, 16);
}

// The rules of the run-time keys (config/runtime_settings.h), each written
// once: ValidateConfig and every run-time change use them.
void CheckRuntime(const RuntimeSettings& s, Checker& c) {
  c.InRange("detector.conf_threshold", s.conf_threshold, 0.0, 1.0);
  c.AboveUpTo("capture.idle_fps", s.idle_fps, 0, 1000);
  c.AboveUpTo("capture.active_fps", s.active_fps, 0, 1000);
  if (s.idle_fps > s.active_fps) {
    c.Fail("capture.idle_fps", Num(s.idle_fps),
           "must not exceed capture.active_fps (" + Num(s.active_fps) + ")");
  }
  // Zero would count every frame as motion: the gate would never let the
  // scheduler go idle (MotionGate::Validate asks the same).
  c.AboveUpTo("capture.motion_threshold", s.motion_threshold, 0.0, 1.0);
  c.InRange("capture.quiet_period_ms", s.quiet_period_ms, 0, kMaxMs);
  for (const auto& [material, threshold] : s.accept_threshold) {
    c.InRange("policy.accept_threshold." + std::string(MaterialName(material)), threshold, 0.0,
              1.0);
  }
  c.InRange("sessions.idle_timeout_s", s.idle_timeout_s, 1, 86'400);
  for (const auto& [material, points] : s.points) {
    c.InRange("sessions.points." + std::string(MaterialName(material)), points, 0, 1'000'000);
  }
  // The platform marks a machine offline after 120 s without a heartbeat.
  c.InRange("uplink.heartbeat_interval_s", s.heartbeat_interval_s, 1, 60);
  c.InRange("uplink.retry_backoff_min_ms", s.retry_backoff_min_ms, 1, kMaxMs);
  c.InRange("uplink.retry_backoff_max_ms", s.retry_backoff_max_ms, 1, kMaxMs);
  if (s.retry_backoff_max_ms < s.retry_backoff_min_ms) {
    c.Fail(
        "uplink.retry_backoff_max_ms", std::to_string(s.retry_backoff_max_ms),
        "must be >= uplink.retry_backoff_min_ms (" + std::to_string(s.retry_backoff_min_ms) + ")");
  }
  c.OneOf("logging.level", s.log_level, {"trace", "debug", "info", "warn", "error", "off"});
  c.OneOf("logging.format", s.log_format, {"text", "json"});
}

}  // namespace

bool IsLoopbackAddress(std::string_view address) {
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  if (address.starts_with("::ffff:")) address.remove_prefix(7);
  return address == "localhost" || address == "::1" || address.starts_with("127.");
}

std::vector<ConfigIssue> ValidateRuntimeSettings(const RuntimeSettings& settings) {
  Checker c;
  CheckRuntime(settings, c);
  return c.Take();
}

std::vector<ConfigIssue> ValidateConfig(const Config& config) {
  Checker c;
  c.NonEmpty("machine.id", config.machine.id);
  CheckRuntime(RuntimeSettingsOf(config), c);
  CheckDetector(config.detector, c);
  CheckCapture(config.capture, c);
  CheckPipeline(config.pipeline, c);
  CheckTracker(config.tracker, c);
  CheckPolicy(config.policy, c);
  c.NonEmpty("outbox.dir", config.outbox.dir);
  // Its minimum is the outbox's rule (outbox::MinimumQuotaBytes), checked
  // where the outbox's options are known: `config check` and `run` alike.
  c.InRange("outbox.quota_bytes", config.outbox.quota_bytes, int64_t{1},
            std::numeric_limits<int64_t>::max());
  CheckUplink(config.uplink, c);
  c.NonEmpty("admin.bind_address", config.admin.bind_address);
  if (!IsLoopbackAddress(config.admin.bind_address) && config.admin.token.value.empty() &&
      !config.admin.allow_unauthenticated_remote) {
    c.Fail("admin.bind_address", Quote(config.admin.bind_address),
           "listens beyond loopback and admin.token is not set, so the dashboard, status, "
           "metrics and decisions would be open to the network; set admin.token (or "
           "RVM_EDGE_ADMIN_TOKEN), bind to 127.0.0.1, or set "
           "admin.allow_unauthenticated_remote = true");
  }
  c.InRange("admin.port", config.admin.port, 0, 65535);
  c.InRange("admin.pulse_port", config.admin.pulse_port, 0, 65535);
  c.InRange("admin.probe_port", config.admin.probe_port, 0, 65535);
  c.InRange("logging.max_size_bytes", config.logging.max_size_bytes, 4096,
            std::numeric_limits<int64_t>::max());
  c.InRange("logging.files_kept", config.logging.files_kept, 0, 100);
  c.NonEmpty("sink.decisions_path", config.sink.decisions_path);
  return c.Take();
}

}  // namespace rvm
