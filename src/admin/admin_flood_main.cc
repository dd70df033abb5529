// admin_flood: holds idle and slow-header connections against an admin port
// while probing /healthz (admin_flood.h), then prints one JSON line: probe
// latencies in ms, failures, and what the server did to the flood.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>

#include "admin/admin_flood.h"

int main(int argc, char** argv) {
  rvm::admin::FloodOptions o;
  int seconds = 10;
  CLI::App app{"admin_flood: connection flood against an admin port on 127.0.0.1"};
  app.add_option("--port", o.port, "admin port on 127.0.0.1")->required();
  app.add_option("--idle", o.idle, "connections that send nothing");
  app.add_option("--slow", o.slow, "connections that send a header line every 200 ms");
  app.add_option("--sources", o.sources,
                 "loopback source addresses to spread them over (the probe uses the next one)")
      ->check(CLI::Range(1, 250));
  app.add_option("--seconds", seconds, "how long to hold the flood");
  CLI11_PARSE(app, argc, argv);
  o.duration = std::chrono::seconds(seconds);
  const rvm::admin::FloodReport r = rvm::admin::RunFlood(o);
  const nlohmann::json out = {
      {"idle", o.idle},
      {"slow", o.slow},
      {"probes", r.probes},
      {"probe_failures", r.probe_failures},
      {"healthz_ms", {{"median", r.probe_ms.median}, {"p99", r.probe_ms.p99}, {"max", r.probe_ms.max}}},
      {"flood_opened", r.opened},
      {"flood_closed_by_server", r.closed_by_server},
  };
  std::printf("%s\n", out.dump().c_str());
  return r.probe_failures == 0 ? 0 : 1;
}
