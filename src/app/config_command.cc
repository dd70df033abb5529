// `rvm-edge config check FILE`: parses and validates a configuration file
// with the rules `rvm-edge run` applies at start-up (every key's type and
// range, the outbox's minimum quota), checks that the files and folders it
// names are there (ConfigPathProblems: model, labels, capture path, the
// decisions file's folder, CA bundle), and prints every problem (exit 2) or
// the effective configuration with secrets redacted (exit 0). It does not
// load the model, open the camera or reach the platform.
#include <iostream>
#include <string>
#include <vector>

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
  // Rules of the modules `run` opens, beyond the configuration's own, and
  // the files and folders it opens.
  std::vector<std::string> problems;
  if (Status st = CheckOutboxConfig(config->outbox); !st.ok()) problems.push_back(st.message());
  for (std::string& p : ConfigPathProblems(*config)) problems.push_back(std::move(p));
  if (!problems.empty()) {
    std::cerr << "rvm-edge config check: config '" << f.path << "' has " << problems.size()
              << (problems.size() == 1 ? " problem:" : " problems:");
    for (const std::string& p : problems) std::cerr << "\n  " << p;
    std::cerr << "\n";
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
