// The `rvm-edge` command line is a set of subcommands, each in its own file
// (detect_command.cc, bench_command.cc, ...). A subcommand registers its
// options on the root CLI11 app and, when selected, stores the action that
// main() runs after parsing; the action returns the process exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace rvm::app {

using CommandAction = std::function<int()>;

// Exit codes shared by all subcommands.
// The software version reported by --version and to the platform.
inline constexpr const char* kSoftwareVersion = "0.1.0";

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // the job ran, but some inputs failed
inline constexpr int kExitUsage = 2;    // bad command line or configuration
inline constexpr int kExitFatal = 3;    // could not start (model, device, ...)

}  // namespace rvm::app
