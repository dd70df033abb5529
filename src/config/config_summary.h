// RenderConfigSummary: the effective configuration, every key with its value
// after defaults and environment, written as TOML so that an operator can diff
// it against the file or paste it back. Secrets are never printed: each appears
// as a comment saying whether it is set and where from. Pure; thread-safe.
#pragma once

#include <string>

#include "config/config.h"

namespace rvm {

std::string RenderConfigSummary(const Config& config);

}  // namespace rvm
