// Admin-port flood: what a hostile or broken client on the network can do to
// the admin server, as a test and a bench run it. Holds `idle` connections
// that send nothing and `slow` ones that send a request head one line every
// `slow_line_every`, spread over `sources` loopback addresses (127.0.0.1,
// 127.0.0.2, ...: one per "client"), reopening each one the server closes so
// the pressure lasts; meanwhile probes GET /healthz on a fresh connection
// every `probe_every`, as a supervisor on the machine would, from an address
// no flood connection uses (127.0.0.`sources + 1`), and times each probe
// from connect to the last byte of the answer. Sockets only; no threads beyond the
// one it runs on plus one holding the flood.
#pragma once

#include <chrono>
#include <string>

#include "base/sample_stats.h"

namespace rvm::admin {

struct FloodOptions {
  int port = 0;  // the admin port on 127.0.0.1
  int idle = 200;
  int slow = 200;
  int sources = 8;  // 1 to 250
  std::chrono::milliseconds duration{3000};
  std::chrono::milliseconds probe_every{50};
  std::chrono::milliseconds slow_line_every{200};
  std::string probe_path = "/healthz";
};

struct FloodReport {
  SampleSummary probe_ms;   // connect to answer, successful probes
  int probes = 0;
  int probe_failures = 0;   // no answer within 2 s, or not 200
  std::string first_failure;
  int opened = 0;           // flood connections opened, reopenings included
  int closed_by_server = 0; // flood connections the server closed (shed or timed out)
  int open_at_end = 0;      // flood connections open when the flood stopped
};

FloodReport RunFlood(const FloodOptions& options);

}  // namespace rvm::admin
