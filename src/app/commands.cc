#include "app/commands.h"

#include "app/option_checks.h"

#ifdef RVM_HAVE_OUTBOX
#include "app/outbox_command.h"
#endif

namespace rvm::app {

void RegisterAllCommands(CLI::App& root, CommandAction& action) {
#ifdef RVM_HAVE_PIPELINE
  RegisterRunCommand(root, action);
  RegisterConfigCommand(root, action);
#endif
  RegisterDetectCommand(root, action);
  RegisterBenchCommand(root, action);
#ifdef RVM_HAVE_EVAL
  RegisterEvalCommand(root, action);
#endif
#ifdef RVM_HAVE_QUANTIZE
  RegisterQuantizeCommand(root, action);
#endif
#ifdef RVM_HAVE_OUTBOX
  RegisterOutboxCommand(root, action);
#endif
  RequireValuesNotEmpty(root);
}

}  // namespace rvm::app
