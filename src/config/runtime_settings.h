// RuntimeSettings: the settings the running service may change without a
// restart, as one value. They are the keys PlanReload calls run-time
// (config_reload.h): the detector's confidence threshold, the capture
// scheduler's rates and the motion gate's threshold, the accept thresholds,
// points and session timeout, the heartbeat interval, the delivery retry
// backoff, and the log level and format.
//
// Each key's default is its Config field's (config.h), so RuntimeSettings{}
// equals RuntimeSettingsOf(Config{}); each key's rule is written once, in
// ValidateRuntimeSettings (config_validate.h), which ValidateConfig uses for
// these keys too. The service keeps one current RuntimeSettings
// (app/live_settings.h); SIGHUP, the admin API and the platform's remote
// commands all change it through there. A plain value; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace rvm {

struct RuntimeSettings {
  // [detector]
  double conf_threshold = DetectorConfig{}.conf_threshold;  // minimum detection score, [0, 1]
  // [capture]
  double idle_fps = CaptureConfig{}.idle_fps;                  // frames per second
  double active_fps = CaptureConfig{}.active_fps;              // frames per second
  double motion_threshold = CaptureConfig{}.motion_threshold;  // changed fraction, (0, 1]
  int quiet_period_ms = CaptureConfig{}.quiet_period_ms;       // ms
  // [policy] minimum fused confidence to accept, per material, [0, 1]
  std::map<Material, double> accept_threshold = PolicyConfig{}.accept_threshold;
  // [sessions]
  int idle_timeout_s = SessionsConfig{}.idle_timeout_s;     // s
  std::map<Material, int> points = SessionsConfig{}.points;  // per accepted item
  // [uplink]
  int heartbeat_interval_s = UplinkConfig{}.heartbeat_interval_s;  // s
  int retry_backoff_min_ms = UplinkConfig{}.retry_backoff_min_ms;  // ms
  int retry_backoff_max_ms = UplinkConfig{}.retry_backoff_max_ms;  // ms
  // [logging]
  std::string log_level = LoggingConfig{}.level;    // trace|debug|info|warn|error|off
  std::string log_format = LoggingConfig{}.format;  // text|json

  bool operator==(const RuntimeSettings&) const = default;
};

// The run-time keys of `config`.
RuntimeSettings RuntimeSettingsOf(const Config& config);
// `config` with its run-time keys replaced by `settings`.
Config WithRuntimeSettings(Config config, const RuntimeSettings& settings);

// The rule of detector.conf_threshold, for values that come from elsewhere
// than a Config (the --conf flag, DetectorOptions): InvalidArgument
// "<name> = <value>: must be in [0, 1]" (the message ValidateConfig gives),
// OK otherwise.
Status CheckConfThreshold(double value, std::string_view name = "detector.conf_threshold");

}  // namespace rvm
