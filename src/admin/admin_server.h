// AdminServer: the service's admin HTTP server. One object, one or more
// listening ports (one cpp-httplib server each, on its own thread):
//
//   admin port (admin.port)          the operator's endpoints and the dashboard
//   pulse port (admin.pulse_port)    v2 platform probe GET /pulse
//   probe port (admin.probe_port)    v2 platform probes GET /api/health-check, /api/metrics
//
// Each port is an HttpListener (http_listener.h): connections are admitted,
// read and timed out by one loop thread, so idle or slow clients cannot
// starve the workers, and /healthz and /readyz have a worker of their own.
// cpp-httplib only routes requests the listener has read whole and writes
// their answers into a buffer.
//
// The two probe ports are opened only when the v2 contract is configured.
// All listen on admin.bind_address (127.0.0.1 by default: a v2 machine the
// platform polls needs an address the platform can reach). Port 0 picks any
// free port; port() and friends tell which.
//
// Endpoints, authentication (token_auth.h) and the JSON shapes are listed in
// docs/operations.md. State-changing endpoints and those that return images or
// logs need the admin token; when none is configured they answer 403.
//
// Every request reads the service through ServiceControl at that moment;
// nothing is cached. Handlers never call into the pipeline's threads beyond
// what ServiceControl offers, so the server adds no work to the pipeline.
//
// Thread-safety: Start and Stop from one controlling thread; the accessors
// from any thread after Start.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admin/admin_metrics.h"
#include "admin/http_listener.h"
#include "admin/system_probe.h"
#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "ops/service_control.h"

namespace httplib {
class Server;
}

namespace rvm::admin {

struct AdminServerOptions {
  std::string bind_address = "127.0.0.1";  // every listener's address
  int port = 8080;                         // admin port, 0 = any free port
  std::string token;                       // admin token, "" = protected endpoints refused
  bool v2_probes = false;                  // open the pulse and probe ports
  int pulse_port = 5002;                   // 0 = any free port
  int probe_port = 8000;                   // 0 = any free port
  int admin_threads = 4;                   // request threads of the admin port
  int probe_threads = 2;                   // request threads of each probe port
  int recent_decisions = 20;               // default `limit` of GET /api/decisions
  // Connection limits, deadlines and queue depth of every listener; its
  // address, port, workers and priority paths are set per listener.
  HttpListenerOptions http;
};

// [admin] and uplink.contract of a validated configuration.
AdminServerOptions AdminServerOptionsFromConfig(const Config& config);

// What the server reads; all must outlive it.
struct AdminServerParts {
  ops::ServiceControl* control = nullptr;
  AdminMetrics* metrics = nullptr;  // also the pipeline's observer
  SystemProbe* system = nullptr;
  const Clock* clock = nullptr;  // wall time of the probes' answers
};

class AdminServer {
 public:
  AdminServer(AdminServerOptions options, AdminServerParts parts);
  ~AdminServer();  // stops
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds every listener and starts serving. A port that cannot be bound is an
  // error naming its key, address and port; nothing is left listening then.
  Status Start();
  // Stops every listener and joins their threads. Idempotent.
  void Stop();

  // Bound ports; -1 when that listener is not open.
  int port() const { return port_; }
  int pulse_port() const { return pulse_port_; }
  int probe_port() const { return probe_port_; }
  // "http://ADDR:PORT" of the admin port.
  std::string url() const;
  // The admin port's connection counters; null before Start.
  const HttpListenerCounters* admin_counters() const;

 private:
  class Router;
  struct Listener;
  void RouteAdmin(httplib::Server& server);
  void RoutePulse(httplib::Server& server);
  void RouteProbe(httplib::Server& server);
  Status Listen(const char* key, int requested, int threads,
                std::vector<std::string> priority_paths,
                void (AdminServer::*route)(httplib::Server&), int* bound);

  const AdminServerOptions options_;
  const AdminServerParts parts_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  int port_ = -1, pulse_port_ = -1, probe_port_ = -1;
};

}  // namespace rvm::admin
