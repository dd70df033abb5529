// `rvm-edge config check FILE`: parses and validates a configuration file the
// way `rvm-edge run` does at start-up, and prints every problem (exit 2) or
// the effective configuration with secrets redacted (exit 0).
#include <iostream>

#include "app/commands.h"
#include "app/service.h"
#include "config/config_parser.h"
#include "config/config_summary.h"

namespace rvm::app {
namespace {

struct ConfigFlags {
  std::string path;
  bool quiet = false;
};

int RunConfigCheck(const ConfigFlags& f) {
  auto config = LoadConfig(f.path);
  if (!config.ok()) {
    std::cerr << "rvm-edge config check: " << config.status().message() << "\n";
    return kExitUsage;
  }
  // Rules of the modules `run` opens, beyond the configuration's own.
  if (Status st = CheckOutboxConfig(config->outbox); !st.ok()) {
    std::cerr << "rvm-edge config check: " << f.path << ": " << st.message() << "\n";
    return kExitUsage;
  }
  if (!f.quiet) std::cout << RenderConfigSummary(*config);
  std::cerr << f.path << ": OK\n";
  return kExitOk;
}

}  // namespace

void RegisterConfigCommand(CLI::App& root, CommandAction& action) {
  auto flags = std::make_shared<ConfigFlags>();
  CLI::App* cmd = root.add_subcommand("config", "Configuration file tools");
  cmd->require_subcommand(1);
  CLI::App* check = cmd->add_subcommand(
      "check", "Validate a configuration file and print the effective configuration");
  check->add_option("file", flags->path, "TOML configuration file")->required();
  check->add_flag("-q,--quiet", flags->quiet, "Print only OK or the problems");
  check->callback([flags, &action] { action = [flags] { return RunConfigCheck(*flags); }; });
}

}  // namespace rvm::app
