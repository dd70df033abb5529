// `rvm-edge outbox stats|list|replay|purge-delivered`: inspect and manage the
// durable outbox from a shell. stats and list open the outbox read-only, so
// they work beside a running agent; replay and purge-delivered need the
// outbox's lock and refuse while the agent holds it.
#pragma once

#include "app/command.h"

namespace rvm::app {

void RegisterOutboxCommand(CLI::App& root, CommandAction& action);

}  // namespace rvm::app
