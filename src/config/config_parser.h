// Parsing the TOML configuration file into a validated Config.
//
// The file is read once at start-up. An unknown key, a value of the wrong type
// or an out-of-range value stops start-up: the returned Status lists every
// problem, each as "<file>:<line>:<column>: <key> = <value>: <what is wrong>".
// Keys that are absent keep the defaults in config.h.
//
// Secrets (uplink.api_key, uplink.password, uplink.token, admin.token) may be
// written in the file, or named indirectly as `<key>_env = "VAR"` (read from
// that environment variable, which must then be set), or, when the file has
// neither, they are read from RVM_EDGE_API_KEY, RVM_EDGE_PASSWORD,
// RVM_EDGE_TOKEN and RVM_EDGE_ADMIN_TOKEN. The environment is an injected
// lookup so tests need not touch the process environment.
//
// Stateless; safe to call from any thread as long as `env` is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace rvm {

// Looks up an environment variable; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnvironment();

// Parses and validates `text`; `source_name` names it in messages (usually the path).
Result<Config> ParseConfig(std::string_view text, std::string_view source_name,
                           const EnvLookup& env = ProcessEnvironment());

// Reads `path` and parses it as above.
Result<Config> LoadConfig(const std::string& path, const EnvLookup& env = ProcessEnvironment());

}  // namespace rvm
