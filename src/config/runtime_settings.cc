#include "config/runtime_settings.h"

#include "config/config_validate.h"

namespace rvm {

namespace {

// Each run-time setting beside its key in Config: the one list both
// directions use. f(config_field, settings_field).
template <class C, class S, class F>
void ForEachPair(C& c, S& s, F&& f) {
  f(c.detector.conf_threshold, s.conf_threshold);
  f(c.capture.idle_fps, s.idle_fps);
  f(c.capture.active_fps, s.active_fps);
  f(c.capture.motion_threshold, s.motion_threshold);
  f(c.capture.quiet_period_ms, s.quiet_period_ms);
  f(c.policy.accept_threshold, s.accept_threshold);
  f(c.sessions.idle_timeout_s, s.idle_timeout_s);
  f(c.sessions.points, s.points);
  f(c.uplink.heartbeat_interval_s, s.heartbeat_interval_s);
  f(c.uplink.retry_backoff_min_ms, s.retry_backoff_min_ms);
  f(c.uplink.retry_backoff_max_ms, s.retry_backoff_max_ms);
  f(c.logging.level, s.log_level);
  f(c.logging.format, s.log_format);
}

}  // namespace

RuntimeSettings RuntimeSettingsOf(const Config& c) {
  RuntimeSettings s;
  ForEachPair(c, s, [](const auto& from, auto& to) { to = from; });
  return s;
}

Config WithRuntimeSettings(Config c, const RuntimeSettings& s) {
  ForEachPair(c, s, [](auto& to, const auto& from) { to = from; });
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
