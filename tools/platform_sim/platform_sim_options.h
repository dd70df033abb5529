// PlatformSimOptions: how a platform sim instance starts. A plain struct with
// defaults; PlatformSim copies it at construction and never changes it (fault
// settings change at run time through the injector, not here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "platform_sim/fault_injector.h"
#include "platform_sim/sim_store.h"

namespace rvm::sim {

// Which authentication POST /api/v1/edge/sync-offline accepts (platform-api.md
// B3.4: master takes the machine key, dev-server a bearer + X-RVM-Machine-ID).
enum class SyncOfflineAuth { kKey, kBearer, kEither };

struct PlatformSimOptions {
  std::string bind_address = "127.0.0.1";
  int port = 0;  // 0 = an ephemeral port; Start() returns the bound one
  // ":memory:" keeps everything in memory; a file path persists across restarts.
  std::string db_path = ":memory:";
  // Machines and users seeded at start. The system donation user (id -1) is always added.
  std::vector<MachineSeed> machines = {{1, "sim-machine-key-0001", "RVM-SIM-1", "offline"}};
  std::vector<UserSeed> users = {{1, "device@example.com", "secret123", "Device User", "operator"}};
  FaultSettings faults;  // initial fault settings
  // Bearer tokens die this long after login (0 = never, like the real servers).
  int64_t token_ttl_ms = 0;
  // A machine's command queue is dropped when its newest command is older than
  // this, as the server's cache entry does (600 s).
  int64_t command_ttl_ms = 600'000;
  SyncOfflineAuth sync_offline_auth = SyncOfflineAuth::kEither;
  // The errors[] entry of a sync-offline row skipped for an unknown user_id;
  // {user} and {session} are replaced. The contract does not fix the words.
  std::string unknown_user_error = "User ID {user} not found for session {session}";
  // Without "Accept: application/json" Laravel answers a failed validation or
  // Sanctum auth with a 302 redirect instead of JSON; true mimics that.
  bool redirect_without_json_accept = true;
  int worker_threads = 16;                // HTTP worker threads = concurrent connections served
  int keep_alive_timeout_s = 5;           // idle keep-alive connections close after this
  int keep_alive_max_requests = 100'000;  // requests per connection before the server closes it
  const Clock* clock = nullptr;           // nullptr = the process's steady/system clock
};

}  // namespace rvm::sim
