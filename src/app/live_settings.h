// LiveSettings: the running service's RuntimeSettings (config/runtime_settings.h)
// and the one way to change them. A SIGHUP reload, the admin API and the
// platform's remote commands all come here; every change is checked with
// ValidateRuntimeSettings (one rule, one message per key) and, when valid,
// handed whole to the `apply` function, which the service points at its
// parts (pipeline, recorder, delivery, heartbeat, logging). A change that
// fails validation changes nothing.
//
// It also keeps the configuration the service started with, so a reload can
// tell the run-time keys it applies from the keys that changed in the file
// but take effect only after a restart (PlanReload); those are reported on
// every reload until the service restarts.
//
// Thread-safety: every method may be called from any thread; changes are
// serialised, and `apply` is called under the lock, one change at a time.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "config/runtime_settings.h"

namespace rvm::app {

class LiveSettings {
 public:
  using ApplyFn = std::function<void(const RuntimeSettings&)>;

  // `startup` must be valid (ValidateConfig); its run-time keys are the
  // initial settings. `apply` is not called for them: the parts are built
  // with them.
  LiveSettings(Config startup, ApplyFn apply);

  // The configuration the service started with (restart keys never change).
  const Config& startup() const { return startup_; }
  RuntimeSettings current() const;
  // Calls `use` with the current settings while no change can be applied: a
  // part built after the service started takes them without missing a change
  // made meanwhile. `use` must not call back into LiveSettings.
  void WithCurrent(const std::function<void(const RuntimeSettings&)>& use) const;

  // Applies `edit` to a copy of the current settings, validates the result
  // and applies it. InvalidArgument with the first problem's message
  // ("detector.conf_threshold = 1.7: must be in [0, 1]") otherwise.
  Status Update(const std::function<void(RuntimeSettings&)>& edit);
  Status SetConfThreshold(double threshold);

  // What a reload did, by dotted key.
  struct ReloadReport {
    std::vector<std::string> applied;         // run-time keys now in effect
    std::vector<std::string> restart_needed;  // changed, but only a restart applies them
    Status status;  // why the run-time keys were not applied (a file that skipped validation)
  };
  // Applies the run-time keys of `fresh` (a whole, validated configuration:
  // SIGHUP) and names the changed keys that need a restart.
  ReloadReport Reload(const Config& fresh);

 private:
  Status ApplyLocked(const RuntimeSettings& next);

  const Config startup_;
  const ApplyFn apply_;
  mutable std::mutex mu_;
  RuntimeSettings current_;  // guarded by mu_
};

// "a, b, c", or "none" for an empty list (the reload's log line).
std::string KeyList(const std::vector<std::string>& keys);

}  // namespace rvm::app
