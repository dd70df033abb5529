// ConnectionGate: admission of admin connections. It bounds the connections
// open at once, in total and per client address, and when a new connection
// finds no room it makes some by shedding another. Over the per-client
// limit the victim is one of the client's own; over the total it is one of
// the client with the most open connections among those that have one to
// shed. Within that client, connections idle between requests go first, then
// those still sending a request, oldest activity first; connections whose
// request is being answered are never shed. So a client that opens
// connections and sends nothing, or sends its headers a line at a time, can
// hold at most its share of slots and sheds its own as it opens more; a new
// connection (a supervisor's GET /healthz) always gets in while any slot can
// be freed, and is not shed to make room for a flood from addresses that
// hold more connections than its own.
// Pure bookkeeping, no sockets or clocks; not synchronised (the listener's
// loop thread owns it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rvm::admin {

struct ConnectionLimits {
  int max_connections = 256;            // open at once, all clients together
  int max_connections_per_client = 64;  // open at once from one address
};

class ConnectionGate {
 public:
  enum class State {
    kIdle,     // open, between requests (or nothing sent yet)
    kReading,  // part of a request has arrived
    kBusy,     // a complete request is being answered
  };

  struct Admission {
    bool admitted = false;
    std::vector<uint64_t> shed;  // close these first (already forgotten by the gate)
  };

  explicit ConnectionGate(ConnectionLimits limits) : limits_(limits) {}

  // Admits connection `id` from `client` at `now_ms`, in state kIdle, shedding
  // what it must. Not admitted when every connection in the way is busy.
  Admission Admit(uint64_t id, const std::string& client, int64_t now_ms);
  // Records a state change; `now_ms` becomes the connection's last activity.
  void Update(uint64_t id, State state, int64_t now_ms);
  void Remove(uint64_t id);

  int open() const { return static_cast<int>(connections_.size()); }
  int open_from(const std::string& client) const;

 private:
  struct Entry {
    std::string client;
    State state;
    int64_t last_activity_ms;
  };
  // The connection to shed among those `eligible`, or 0 when all are busy.
  template <typename Eligible>
  uint64_t Victim(Eligible eligible) const;

  const ConnectionLimits limits_;
  std::map<uint64_t, Entry> connections_;
  std::map<std::string, int> per_client_;
};

}  // namespace rvm::admin
