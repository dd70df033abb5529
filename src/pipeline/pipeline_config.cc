#include "pipeline/pipeline_config.h"

namespace rvm {

Result<CaptureOptions> CaptureOptionsFromConfig(const CaptureConfig& c) {
  auto kind = ParseSourceKind(c.source);
  if (!kind.ok()) return kind.status();
  CaptureOptions o;
  o.kind = *kind;
  o.device = c.device;
  o.pipeline = c.uri;
  o.path = c.path;
  o.width = c.width;
  o.height = c.height;
  o.fps = c.fps;
  o.fourcc = c.fourcc;
  o.loop = c.loop;
  o.watch = c.watch;
  o.pace = c.pace;
  o.reconnect.initial_backoff = std::chrono::milliseconds(c.reconnect_backoff_min_ms);
  o.reconnect.max_backoff = std::chrono::milliseconds(c.reconnect_backoff_max_ms);
  o.reconnect.stall_timeout = std::chrono::milliseconds(c.stall_timeout_ms);
  o.reconnect.failures_before_reopen = c.failures_before_reopen;
  o.synthetic.width = c.width;
  o.synthetic.height = c.height;
  o.synthetic.fps = c.fps;
  o.synthetic.pace = c.pace;
  return o;
}

Result<DetectorOptions> DetectorOptionsFromConfig(const DetectorConfig& d) {
  auto family = ParseModelFamily(d.family);
  if (!family.ok()) return family.status();
  DetectorOptions o;
  o.engine.model_path = d.model_path;
  o.engine.backend = d.backend;
  // 0 = the runtime's default; the engine wants a count, so keep its own default.
  if (d.intra_op_threads > 0) o.engine.threads = d.intra_op_threads;
  o.engine.cache_dir = d.cache_dir;
  o.engine.execution = d.execution;
  o.labels_path = d.labels_path;
  o.family = *family;
  o.post = PostprocessOf(d);
  o.max_image_pixels = d.max_image_pixels;
  o.roi = d.roi;
  return o;
}

PipelineOptions PipelineOptionsFromConfig(const Config& config) {
  PipelineOptions o;
  o.pipeline = config.pipeline;
  o.tracker = config.tracker;
  o.motion.roi = config.detector.roi;  // the gate watches what the detector sees
  return PipelineOptionsWith(std::move(o), RuntimeSettingsOf(config));
}

PipelineOptions PipelineOptionsWith(PipelineOptions o, const RuntimeSettings& s) {
  o.schedule.idle_fps = s.idle_fps;
  o.schedule.active_fps = s.active_fps;
  o.schedule.quiet_period = std::chrono::milliseconds(s.quiet_period_ms);
  o.motion.min_changed_fraction = s.motion_threshold;
  return o;
}

}  // namespace rvm
