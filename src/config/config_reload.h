// PlanReload: what a SIGHUP reload can apply to the running service and what
// waits for a restart.
//
// On SIGHUP the service loads and validates the configuration file again and
// compares it with the configuration it runs with. Keys whose new value can be
// taken over in place (thresholds, rates, timeouts, the log level) are applied;
// every other changed key needs a restart: it opens a device, file or socket,
// loads a model, sizes pools or threads, or names the machine. The plan lists
// both, by dotted key ("capture.idle_fps", "policy.accept_threshold.glass"),
// so the service can apply the first list and log the second.
//
// Every key of the configuration is classified (ReloadClassOf); a key that is
// not (added to config.h but not here) counts as needing a restart, and a test
// fails until it is classified. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace rvm {

enum class ReloadClass {
  kRunTime,      // safe to change while running
  kRestart,      // takes effect only after a restart
  kUnclassified  // not known to this file; treated as kRestart
};

// How key `key` (dotted, as in the TOML file) reloads. Entries of the data
// tables are keys of their own ("sessions.points.pet"), except policy.labels,
// which is one key (the table replaces the default map as a whole).
ReloadClass ReloadClassOf(std::string_view key);

struct ReloadPlan {
  std::vector<std::string> apply;           // changed, and safe to change at run time
  std::vector<std::string> restart_needed;  // changed, but only a restart applies them

  bool empty() const { return apply.empty() && restart_needed.empty(); }
};

// The keys whose values differ between `running` and `fresh`, sorted, split by
// ReloadClassOf. Secrets are compared by value and never appear other than by
// key name.
ReloadPlan PlanReload(const Config& running, const Config& fresh);

// Every key of `config` as PlanReload compares them (policy.labels as one
// key, secrets included), sorted.
std::vector<std::string> ConfigKeys(const Config& config);

}  // namespace rvm
