// Registration of every rvm-edge subcommand (see command.h).
#pragma once

#include "app/command.h"

namespace rvm::app {

void RegisterDetectCommand(CLI::App& root, CommandAction& action);
void RegisterBenchCommand(CLI::App& root, CommandAction& action);
void RegisterRunCommand(CLI::App& root, CommandAction& action);
void RegisterConfigCommand(CLI::App& root, CommandAction& action);
void RegisterEvalCommand(CLI::App& root, CommandAction& action);
void RegisterQuantizeCommand(CLI::App& root, CommandAction& action);

// All of the above, in the order `rvm-edge --help` lists them.
void RegisterAllCommands(CLI::App& root, CommandAction& action);

}  // namespace rvm::app
