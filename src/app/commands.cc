#include "app/commands.h"

namespace rvm::app {

void RegisterAllCommands(CLI::App& root, CommandAction& action) {
#ifdef RVM_HAVE_PIPELINE
  RegisterRunCommand(root, action);
  RegisterConfigCommand(root, action);
#endif
  RegisterDetectCommand(root, action);
  RegisterBenchCommand(root, action);
}

}  // namespace rvm::app
