// rvm-edge-bench: `rvm-edge bench` in an executable that links only the
// detection core, so that the benchmark's peak RSS is the detection core's
// (see bench_command.cc). `rvm-edge bench ...` re-executes as this program
// with the same arguments; it accepts the same command line.
#include <opencv2/core/utils/logger.hpp>

#include "app/command.h"
#include "app/commands.h"
#include "app/option_checks.h"

int main(int argc, char** argv) {
  // OpenCV's own warnings would interleave with our output; we report errors ourselves.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
  CLI::App app{"RVM Edge: detection benchmark", "rvm-edge"};
  app.require_subcommand(1);
  rvm::app::CommandAction action;
  rvm::app::RegisterBenchCommand(app, action);
  rvm::app::RequireValuesNotEmpty(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : rvm::app::kExitUsage;
  }
  if (!action) return rvm::app::kExitUsage;
  return action();
}
