#include "config/config_summary.h"

#include "config/toml_text.h"

#include <sstream>
#include <string_view>

namespace rvm {
namespace {

class TomlWriter {
 public:
  void Section(std::string_view name) {
    if (out_.tellp() > 0) out_ << "\n";
    out_ << "[" << name << "]\n";
  }
  void Key(std::string_view key) { out_ << TomlKey(key) << " = "; }
  void Str(std::string_view key, std::string_view v) {
    Key(key);
    out_ << TomlString(v) << "\n";
  }
  void Int(std::string_view key, int64_t v) {
    Key(key);
    out_ << v << "\n";
  }
  void Bool(std::string_view key, bool v) {
    Key(key);
    out_ << (v ? "true" : "false") << "\n";
  }
  void Float(std::string_view key, double v) {
    Key(key);
    out_ << TomlFloat(v) << "\n";
  }
  void Raw(std::string_view key, std::string_view toml_value) {
    Key(key);
    out_ << toml_value << "\n";
  }
  void StrList(std::string_view key, const std::vector<std::string>& v) {
    Key(key);
    out_ << "[";
    for (size_t i = 0; i < v.size(); ++i) {
      out_ << (i ? ", " : "") << TomlString(v[i]);
    }
    out_ << "]\n";
  }
  void SecretKey(std::string_view key, const Secret& s) {
    out_ << "# " << key << " = <redacted> ("
         << (s.set() ? "set, from " + s.source : std::string("unset")) << ")\n";
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string RenderConfigSummary(const Config& c) {
  TomlWriter w;
  w.Section("machine");
  w.Str("id", c.machine.id);
  w.Str("name", c.machine.name);

  const DetectorConfig& d = c.detector;
  w.Section("detector");
  w.Str("model_path", d.model_path);
  w.Str("labels_path", d.labels_path);
  w.Str("backend", d.backend);
  w.Str("family", d.family);
  w.Float("conf_threshold", d.conf_threshold);
  w.Float("nms_iou", d.nms_iou);
  w.Int("max_detections", d.max_detections);
  w.Int("intra_op_threads", d.intra_op_threads);
  w.Str("cache_dir", d.cache_dir);
  w.Int("max_image_pixels", d.max_image_pixels);
  w.Raw("roi", RoiText(d.roi));
  w.StrList("execution_providers", d.execution.providers);
  w.Bool("require_gpu", d.execution.require_gpu);
  w.Int("gpu_device_id", d.execution.gpu_device_id);
  w.Bool("tensorrt_fp16", d.execution.tensorrt_fp16);
  w.Bool("tensorrt_int8", d.execution.tensorrt_int8);
  w.Int("tensorrt_workspace_bytes", d.execution.tensorrt_workspace_bytes);

  const CaptureConfig& cap = c.capture;
  w.Section("capture");
  w.Str("source", cap.source);
  w.Str("device", cap.device);
  w.Str("uri", cap.uri);
  w.Str("path", cap.path);
  w.Int("width", cap.width);
  w.Int("height", cap.height);
  w.Float("fps", cap.fps);
  w.Bool("loop", cap.loop);
  w.Bool("watch", cap.watch);
  w.Float("idle_fps", cap.idle_fps);
  w.Float("active_fps", cap.active_fps);
  w.Float("motion_threshold", cap.motion_threshold);
  w.Int("quiet_period_ms", cap.quiet_period_ms);
  w.Int("reconnect_backoff_min_ms", cap.reconnect_backoff_min_ms);
  w.Int("reconnect_backoff_max_ms", cap.reconnect_backoff_max_ms);
  w.Int("stall_timeout_ms", cap.stall_timeout_ms);
  w.Int("failures_before_reopen", cap.failures_before_reopen);
  w.Str("fourcc", cap.fourcc);
  w.Bool("pace", cap.pace);

  const PipelineConfig& p = c.pipeline;
  w.Section("pipeline");
  w.Int("frame_pool_size", p.frame_pool_size);
  w.Int("tensor_pool_size", p.tensor_pool_size);
  w.Int("frame_queue_capacity", p.frame_queue_capacity);
  w.Int("detection_queue_capacity", p.detection_queue_capacity);
  w.Int("inference_workers", p.inference_workers);
  w.Int("batch_max_size", p.batch_max_size);
  w.Int("batch_timeout_ms", p.batch_timeout_ms);

  const TrackerConfig& t = c.tracker;
  w.Section("tracker");
  w.Float("iou_match_threshold", t.iou_match_threshold);
  w.Int("max_missed_frames", t.max_missed_frames);
  w.Int("min_frames_to_decide", t.min_frames_to_decide);
  w.Int("settle_frames", t.settle_frames);
  w.Float("multiple_items_min_score", t.multiple_items_min_score);

  const PolicyConfig& pol = c.policy;
  w.Section("policy");
  w.StrList("ignored_labels", pol.ignored_labels);
  std::vector<std::string> accepted;
  for (Material m : pol.accepted_materials) accepted.emplace_back(MaterialName(m));
  w.StrList("accepted_materials", accepted);
  w.Section("policy.labels");
  for (const auto& [label, m] : pol.label_materials) w.Str(label, MaterialName(m));
  w.Section("policy.accept_threshold");
  for (const auto& [m, v] : pol.accept_threshold) w.Float(MaterialName(m), v);

  w.Section("sessions");
  w.Int("idle_timeout_s", c.sessions.idle_timeout_s);
  w.Int("guest_user_id", c.sessions.guest_user_id);
  w.Section("sessions.points");
  for (const auto& [m, v] : c.sessions.points) w.Int(MaterialName(m), v);

  w.Section("outbox");
  w.Str("dir", c.outbox.dir);
  w.Int("quota_bytes", c.outbox.quota_bytes);

  const UplinkConfig& u = c.uplink;
  w.Section("uplink");
  w.Str("contract", u.contract);
  w.Str("base_url", u.base_url);
  w.SecretKey("api_key", u.api_key);
  w.Int("machine_id", u.machine_id);
  w.Str("email", u.email);
  w.SecretKey("password", u.password);
  w.SecretKey("token", u.token);
  w.Str("sync_offline_auth", u.sync_offline_auth);
  w.Int("connect_timeout_ms", u.connect_timeout_ms);
  w.Int("request_timeout_ms", u.request_timeout_ms);
  w.Int("batch_max_size", u.batch_max_size);
  w.Int("batch_max_delay_ms", u.batch_max_delay_ms);
  w.Int("retry_backoff_min_ms", u.retry_backoff_min_ms);
  w.Int("retry_backoff_max_ms", u.retry_backoff_max_ms);
  w.Int("heartbeat_interval_s", u.heartbeat_interval_s);
  w.Str("ca_path", u.ca_path);
  w.Int("circuit_failure_threshold", u.circuit_failure_threshold);
  w.Int("circuit_open_ms", u.circuit_open_ms);
  w.Int("circuit_max_open_ms", u.circuit_max_open_ms);
  w.Float("replay_max_records_per_s", u.replay_max_records_per_s);
  w.Int("records_per_round", u.records_per_round);
  w.Int("max_in_flight", u.max_in_flight);

  w.Section("admin");
  w.Str("bind_address", c.admin.bind_address);
  w.Int("port", c.admin.port);
  w.SecretKey("token", c.admin.token);
  w.Bool("allow_unauthenticated_remote", c.admin.allow_unauthenticated_remote);
  w.Int("pulse_port", c.admin.pulse_port);
  w.Int("probe_port", c.admin.probe_port);

  const LoggingConfig& l = c.logging;
  w.Section("logging");
  w.Str("level", l.level);
  w.Str("format", l.format);
  w.Str("file", l.file);
  w.Int("max_size_bytes", l.max_size_bytes);
  w.Int("files_kept", l.files_kept);

  w.Section("sink");
  w.Str("decisions_path", c.sink.decisions_path);
  return w.str();
}

}  // namespace rvm
