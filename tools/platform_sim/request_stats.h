// RequestStats: what the platform sim counts about its traffic.
//
// Requests per route and status code (route = "POST /api/v1/edge/deposit",
// with path parameters shown as {id}), validation failures (422) and auth
// failures (401/403) per route, and TCP connections: accepted, still open,
// and how many carried at least one device API request (so a test's own
// /sim/* queries do not blur "one pooled connection for many requests").
// Stored records and duplicates are counted by SimStore, faults by
// FaultInjector; PlatformSim joins the three in GET /sim/stats.
//
// Thread-safe: every method takes an internal mutex.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace rvm::sim {

class RequestStats {
 public:
  // A response went out (status 0 = the connection was reset instead).
  void CountResponse(const std::string& route, int status);
  void ConnectionOpened();
  void ConnectionClosed();
  void ApiConnectionSeen();

  int64_t requests_total() const;
  int64_t connections_accepted() const;
  int64_t api_connections() const;
  // Responses of `route` with `status`.
  int64_t Count(const std::string& route, int status) const;

  // {"requests": {...}, "connections": {...}, "validation_failures": {...},
  //  "auth_failures": {...}}
  nlohmann::json ToJson() const;
  // Zeroes the request counters; connection counters keep running.
  void ResetRequests();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::map<int, int64_t>> by_route_;  // guarded by mu_
  int64_t total_ = 0;                                       // guarded by mu_
  int64_t connections_accepted_ = 0;                        // guarded by mu_
  int64_t connections_open_ = 0;                            // guarded by mu_
  int64_t api_connections_ = 0;                             // guarded by mu_
};

}  // namespace rvm::sim
