// admin_dashboard_demo: the admin server over a simulated service whose
// numbers move (frames flowing, items decided, backlog draining), for working
// on the dashboard and for the browser test. Prints
//   admin_dashboard_demo: admin server on http://ADDR:PORT
// on standard error once it listens; runs until SIGINT/SIGTERM or --seconds.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>

#include "admin/admin_server.h"
#include "admin/fake_service_control.h"

int main(int argc, char** argv) {
  CLI::App app{"Admin server over a simulated service (dashboard development, browser test)"};
  rvm::admin::AdminServerOptions options;
  options.port = 0;
  double seconds = 0;
  int tick_ms = 100;
  app.add_option("--bind", options.bind_address, "listen address");
  app.add_option("--port", options.port, "admin port, 0 = any free port")
      ->check(CLI::Range(0, 65535));
  app.add_option("--token", options.token, "admin token, \"\" = protected endpoints refused");
  app.add_option("--seconds", seconds, "exit after this long, 0 = on SIGINT/SIGTERM");
  app.add_option("--tick-ms", tick_ms, "simulation step, ms")->check(CLI::Range(10, 10000));
  CLI11_PARSE(app, argc, argv);

  // Signals are taken synchronously below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  rvm::admin::FakeServiceControl control;
  rvm::admin::AdminMetrics metrics;
  rvm::admin::SystemProbe system("/", ".");
  rvm::admin::ServiceSimulator simulator(control, metrics, std::chrono::milliseconds(tick_ms));
  for (int i = 1; i <= 6; ++i) {
    control.AddDecision(rvm::admin::RealisticDecision(
        -i + 1000, rvm::SteadyClock::Instance().WallMillis() - i * 4000, true));
  }
  rvm::admin::AdminServer server(options,
                                 {&control, &metrics, &system, &rvm::SteadyClock::Instance()});
  if (rvm::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "admin_dashboard_demo: %s\n", s.ToString().c_str());
    return 1;
  }
  simulator.Start();
  std::fprintf(stderr, "admin_dashboard_demo: admin server on %s\n", server.url().c_str());

  timespec wait{};
  if (seconds > 0) {
    wait.tv_sec = static_cast<time_t>(seconds);
    wait.tv_nsec = static_cast<long>((seconds - static_cast<double>(wait.tv_sec)) * 1e9);
  } else {
    wait.tv_sec = 365L * 24 * 3600;
  }
  sigtimedwait(&signals, nullptr, &wait);
  simulator.Stop();
  server.Stop();
  return 0;
}
