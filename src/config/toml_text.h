// TOML text for single values, as this project writes them in messages and
// summaries: strings in double quotes with TOML escapes, floats in their
// shortest round-trip form ("0.3", not "0.29999999999999999"). Pure;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace rvm {

// "chute \"A\"" — a TOML basic string, escapes included.
std::string TomlString(std::string_view s);

// 0.3 -> "0.3", 30 -> "30.0", infinity -> "inf": always parses back as a TOML float.
std::string TomlFloat(double v);

// A key, bare when TOML allows it ("conf_threshold"), else quoted ("\"wine glass\"").
std::string TomlKey(std::string_view key);

}  // namespace rvm
