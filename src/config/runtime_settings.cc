#include "config/runtime_settings.h"

#include "config/config_validate.h"

namespace rvm {

RuntimeSettings RuntimeSettingsOf(const Config& c) {
  RuntimeSettings s;
  s.conf_threshold = c.detector.conf_threshold;
  s.idle_fps = c.capture.idle_fps;
  s.active_fps = c.capture.active_fps;
  s.motion_threshold = c.capture.motion_threshold;
  s.quiet_period_ms = c.capture.quiet_period_ms;
  s.accept_threshold = c.policy.accept_threshold;
  s.idle_timeout_s = c.sessions.idle_timeout_s;
  s.points = c.sessions.points;
  s.heartbeat_interval_s = c.uplink.heartbeat_interval_s;
  s.retry_backoff_min_ms = c.uplink.retry_backoff_min_ms;
  s.retry_backoff_max_ms = c.uplink.retry_backoff_max_ms;
  s.log_level = c.logging.level;
  s.log_format = c.logging.format;
  return s;
}

Config WithRuntimeSettings(Config c, const RuntimeSettings& s) {
  c.detector.conf_threshold = s.conf_threshold;
  c.capture.idle_fps = s.idle_fps;
  c.capture.active_fps = s.active_fps;
  c.capture.motion_threshold = s.motion_threshold;
  c.capture.quiet_period_ms = s.quiet_period_ms;
  c.policy.accept_threshold = s.accept_threshold;
  c.sessions.idle_timeout_s = s.idle_timeout_s;
  c.sessions.points = s.points;
  c.uplink.heartbeat_interval_s = s.heartbeat_interval_s;
  c.uplink.retry_backoff_min_ms = s.retry_backoff_min_ms;
  c.uplink.retry_backoff_max_ms = s.retry_backoff_max_ms;
  c.logging.level = s.log_level;
  c.logging.format = s.log_format;
  return c;
}

Status CheckConfThreshold(double value, std::string_view name) {
  RuntimeSettings s;
  s.conf_threshold = value;
  for (const ConfigIssue& issue : ValidateRuntimeSettings(s)) {
    if (issue.key == "detector.conf_threshold") {
      return InvalidArgument(std::string(name) +
                             issue.message.substr(std::string_view("detector.conf_threshold").size()));
    }
  }
  return Status::Ok();
}

}  // namespace rvm
