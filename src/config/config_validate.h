// ValidateConfig: the range and consistency rules of a Config, as a pure
// function over the struct. It reports every problem, not just the first, so
// an operator fixes a configuration file in one pass. Each issue names the key
// and the offending value ("detector.conf_threshold = 1.7: must be in [0, 1]").
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/runtime_settings.h"

namespace rvm {

// One problem in a configuration: `key` is the dotted TOML key it concerns
// ("detector.conf_threshold"); `message` is the full sentence, key included.
struct ConfigIssue {
  std::string key;
  std::string message;
};

std::vector<ConfigIssue> ValidateConfig(const Config& config);

// True when a listener on `address` can be reached from this machine only:
// "localhost", 127.0.0.0/8, "::1" (or IPv4-mapped ::ffff:127.x.x.x). The one
// rule behind admin.allow_unauthenticated_remote and the admin server's
// choice of which endpoints need the token.
bool IsLoopbackAddress(std::string_view address);

// The rules of the run-time keys alone (ValidateConfig applies the same ones):
// what a reload, the admin API or a remote command may set.
std::vector<ConfigIssue> ValidateRuntimeSettings(const RuntimeSettings& settings);

}  // namespace rvm
