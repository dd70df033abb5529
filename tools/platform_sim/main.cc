// rvm-platform-sim: runs PlatformSim as a process for demos, benchmarks and
// tests that want a separate server. Prints "listening on HOST:PORT" once it
// serves (so a parent can read the port), then runs until SIGINT or SIGTERM.
#include <signal.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "platform_sim/platform_sim.h"

namespace {

// "ID:KEY[:NAME]" -> machine seed.
bool ParseMachine(const std::string& spec, rvm::sim::MachineSeed& out, std::string& error) {
  const size_t a = spec.find(':');
  if (a == std::string::npos || a == 0 || a + 1 == spec.size()) {
    error = "--machine '" + spec + "': expected ID:API_KEY[:NAME]";
    return false;
  }
  try {
    out.id = std::stoll(spec.substr(0, a));
  } catch (const std::exception&) {
    error = "--machine '" + spec + "': ID must be an integer";
    return false;
  }
  const size_t b = spec.find(':', a + 1);
  out.api_key = spec.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  out.name = b == std::string::npos ? "RVM-SIM-" + std::to_string(out.id) : spec.substr(b + 1);
  if (out.api_key.empty()) {
    error = "--machine '" + spec + "': API_KEY is empty";
    return false;
  }
  return true;
}

// "EMAIL:PASSWORD" -> user seed with the given id.
bool ParseUser(const std::string& spec, int64_t id, rvm::sim::UserSeed& out, std::string& error) {
  const size_t a = spec.find(':');
  if (a == std::string::npos || a == 0 || a + 1 == spec.size()) {
    error = "--user '" + spec + "': expected EMAIL:PASSWORD";
    return false;
  }
  out.id = id;
  out.email = spec.substr(0, a);
  out.password = spec.substr(a + 1);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rvm-platform-sim: a local MyRVM platform server (edge v1 and v2 device APIs)"};
  rvm::sim::PlatformSim::Options options;
  std::vector<std::string> machines, users;
  std::string faults_json, sync_auth = "either";
  int64_t token_ttl_s = 0;
  int64_t command_ttl_s = 600;
  bool allow_without_accept = false;
  app.add_option("--bind", options.bind_address, "Address to listen on")->capture_default_str();
  app.add_option("--port", options.port, "Port (0 = ephemeral)")->capture_default_str();
  app.add_option("--db", options.db_path, "SQLite database file, or :memory:")
      ->capture_default_str();
  app.add_option("--machine", machines,
                 "Seed a machine ID:API_KEY[:NAME] (repeatable; default 1:sim-machine-key-0001)");
  app.add_option("--user", users,
                 "Seed a user EMAIL:PASSWORD (repeatable; default device@example.com:secret123)");
  app.add_option("--faults", faults_json,
                 "Initial fault settings as JSON, e.g. '{\"error_rate\":0.1,\"seed\":7}'");
  app.add_option("--token-ttl-s", token_ttl_s, "Bearer tokens expire after this (0 = never)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--command-ttl-s", command_ttl_s, "Queued commands are dropped after this")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--sync-offline-auth", sync_auth,
                 "Auth of /api/v1/edge/sync-offline: key (master), bearer (dev-server), either")
      ->check(CLI::IsMember({"key", "bearer", "either"}))
      ->capture_default_str();
  app.add_flag("--allow-without-accept-json", allow_without_accept,
               "Answer JSON even when the request lacks 'Accept: application/json'");
  app.add_option("--threads", options.worker_threads, "HTTP worker threads")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--keep-alive-s", options.keep_alive_timeout_s, "Idle keep-alive timeout")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::string error;
  if (!machines.empty()) {
    options.machines.clear();
    for (const auto& spec : machines) {
      rvm::sim::MachineSeed seed;
      if (!ParseMachine(spec, seed, error)) {
        std::cerr << error << "\n";
        return 2;
      }
      options.machines.push_back(seed);
    }
  }
  if (!users.empty()) {
    options.users.clear();
    int64_t id = 1;
    for (const auto& spec : users) {
      rvm::sim::UserSeed seed;
      if (!ParseUser(spec, id++, seed, error)) {
        std::cerr << error << "\n";
        return 2;
      }
      options.users.push_back(seed);
    }
  }
  if (!faults_json.empty()) {
    auto j = nlohmann::json::parse(faults_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      std::cerr << "--faults: not valid JSON\n";
      return 2;
    }
    auto parsed = rvm::sim::ParseFaultSettings(j, options.faults);
    if (!parsed.ok()) {
      std::cerr << "--faults: " << parsed.status().message() << "\n";
      return 2;
    }
    options.faults = *parsed;
  }
  options.command_ttl_ms = command_ttl_s * 1000;
  options.token_ttl_ms = token_ttl_s * 1000;
  options.redirect_without_json_accept = !allow_without_accept;
  options.sync_offline_auth = sync_auth == "key"      ? rvm::sim::SyncOfflineAuth::kKey
                              : sync_auth == "bearer" ? rvm::sim::SyncOfflineAuth::kBearer
                                                      : rvm::sim::SyncOfflineAuth::kEither;

  // Block the stop signals before any thread starts, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  rvm::sim::PlatformSim sim(options);
  auto port = sim.Start();
  if (!port.ok()) {
    std::cerr << port.status().ToString() << "\n";
    return 3;
  }
  std::cout << "listening on " << options.bind_address << ":" << *port << std::endl;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "rvm-platform-sim: stopping on signal " << sig << "\n";
  sim.Stop();
  return 0;
}
