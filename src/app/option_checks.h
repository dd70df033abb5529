// The rules of numeric command-line options, in one place. CLI11 reads an
// empty value ("--conf ''") as 0, and its own range checks print their bounds
// in full (DBL_MAX as a 309-digit number); these refuse an empty value and
// state every bound as written. Messages read "--drain: must be >= 0, not -1"
// (CLI11 puts the option's name in front). Stateless; safe from any thread.
#pragma once

#include <CLI/CLI.hpp>

namespace rvm::app {

// A value in [lo, hi].
CLI::Validator NumberIn(double lo, double hi);
// A value > 0.
CLI::Validator AboveZero();
// A value >= 0.
CLI::Validator NotNegative();

// Refuses an empty value for every numeric option (integer or floating point)
// of `app` and its subcommands, ahead of any other check. Called once, after
// every subcommand has registered its options (RegisterAllCommands), so no
// option can be left out.
void RequireNumbersNotEmpty(CLI::App& app);

}  // namespace rvm::app
