// rvm-edge: the RVM Edge agent's command line. Each subcommand lives in its
// own *_command.cc; main() parses, then runs the chosen subcommand's action.
#include <opencv2/core/utils/logger.hpp>

#include <iostream>
#include <string>

#include "app/command.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  // OpenCV's own warnings would interleave with our output; we report errors ourselves.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  CLI::App app{"RVM Edge: the reverse vending machine's edge agent", "rvm-edge"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("rvm-edge ") + rvm::app::kSoftwareVersion);
  rvm::app::CommandAction action;
  rvm::app::RegisterAllCommands(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : rvm::app::kExitUsage;
  }
  if (!action) return rvm::app::kExitUsage;
  return action();
}
