#include "app/commands.h"

namespace rvm::app {

void RegisterAllCommands(CLI::App& root, CommandAction& action) {
  RegisterDetectCommand(root, action);
  RegisterBenchCommand(root, action);
}

}  // namespace rvm::app
