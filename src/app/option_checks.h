// The rules of command-line option values, in one place. CLI11 reads an
// empty value ("--conf ''") as 0 and takes "--config ''" as given but empty,
// which the commands would read as not given (the default model, the embedded
// configuration); and its own range checks print their bounds in full (DBL_MAX
// as a 309-digit number). These refuse an empty value and state every bound as
// written. Messages read "--drain: must be >= 0, not -1"
// (CLI11 puts the option's name in front). Stateless; safe from any thread.
#pragma once

#include <vector>

#include <CLI/CLI.hpp>

namespace rvm::app {

// A value in [lo, hi].
CLI::Validator NumberIn(double lo, double hi);
// A value > 0.
CLI::Validator AboveZero();
// A value >= 0.
CLI::Validator NotNegative();
// One of the whole numbers `allowed` ("must be one of 0, 90, 180, 270, not 90.0").
CLI::Validator OneOf(std::vector<int> allowed);

// Refuses an empty value for every option that takes one (numbers, text,
// paths, positional arguments; not flags) of `app` and its subcommands, ahead
// of any other check. Called once, after every subcommand has registered its
// options (RegisterAllCommands), so no option can be left out.
void RequireValuesNotEmpty(CLI::App& app);

}  // namespace rvm::app
