// PlatformSim: a local MyRVM platform server for tests, benchmarks and demos.
//
// It serves the device-facing endpoints of both platform contracts (edge v1
// under /api/v1, v2 under /api/v2; see platform-api.md) over real HTTP on
// loopback, validates requests like the real servers, stores what it receives
// in SQLite, deduplicates on each record's idempotency key, and injects faults
// (latency, 5xx, 429, token expiry, connection resets, hung responses,
// malformed JSON, HTML bodies). Control and inspection endpoints live under
// /sim: stats, faults, commands, stored records, reset (README.md lists them).
//
// Typical use in a test:
//   PlatformSim sim(PlatformSim::Options{});
//   auto port = sim.Start();           // port 0 -> an ephemeral port
//   ... point a client at sim.base_url() ...
//   EXPECT_EQ(sim.Stats()["duplicates"]["deposits"], 0);
//
// Thread-safety: Start() and Stop() are called by the owning thread; every
// other method is safe from any thread while the server runs. The server
// answers requests on its own worker threads. The destructor calls Stop().
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "platform_sim/fault_injector.h"
#include "platform_sim/platform_sim_options.h"
#include "platform_sim/request_stats.h"
#include "platform_sim/sim_store.h"

namespace httplib {
class Server;
}

namespace rvm::sim {

struct ApiContext;

class PlatformSim {
 public:
  using Options = PlatformSimOptions;

  explicit PlatformSim(Options options);
  ~PlatformSim();
  PlatformSim(const PlatformSim&) = delete;
  PlatformSim& operator=(const PlatformSim&) = delete;

  // Opens the database, seeds it, binds and starts serving; returns the bound
  // port. Fails with a message naming the address or database that failed.
  Result<int> Start();
  // Stops accepting, cuts hung responses short and joins the worker threads.
  void Stop();

  int port() const { return port_; }
  std::string base_url() const;  // "http://127.0.0.1:PORT"

  // The same JSON as GET /sim/stats (request counters only before Start()).
  nlohmann::json Stats();
  // The methods below and store() need a successful Start() first.
  // Stored deposits / offline-sync transactions in arrival order.
  nlohmann::json Deposits();
  nlohmann::json Transactions();

  void SetFaults(const FaultSettings& settings) { faults_.Set(settings); }
  FaultSettings faults() const { return faults_.Get(); }
  // Revokes every bearer token; clients get 401 until they log in again.
  int64_t ExpireTokens();
  // Queues a remote command for the machine's next edge v1 heartbeat.
  Result<int64_t> QueueCommand(int64_t machine_id, const std::string& action,
                               const nlohmann::json& payload = nullptr);
  // Clears stored data and request counters (seeds and tokens stay).
  Status Reset();

  SimStore& store() { return *store_; }

 private:
  void RegisterControlRoutes();
  // Sleeps up to `ms`, returning early when Stop() is called.
  void InterruptibleSleep(int64_t ms);

  const Options options_;
  const Clock& clock_;
  FaultInjector faults_;
  RequestStats stats_;
  std::unique_ptr<SimStore> store_;
  std::unique_ptr<ApiContext> ctx_;
  std::unique_ptr<httplib::Server> server_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<int64_t> tokens_revoked_{0};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
};

}  // namespace rvm::sim
