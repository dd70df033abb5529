#include "admin/connection_gate.h"

namespace rvm::admin {

template <typename Eligible>
uint64_t ConnectionGate::Victim(Eligible eligible) const {
  uint64_t victim = 0;
  const Entry* best = nullptr;
  int best_load = 0;
  for (const auto& [id, e] : connections_) {
    if (e.state == State::kBusy || !eligible(e)) continue;
    // The client holding the most connections first; within it, idle before
    // reading, then the least recently active.
    const int load = open_from(e.client);
    bool better = best == nullptr || load > best_load;
    if (!better && load == best_load) {
      better = (e.state == State::kIdle && best->state == State::kReading) ||
               (e.state == best->state && e.last_activity_ms < best->last_activity_ms);
    }
    if (better) {
      best = &e;
      best_load = load;
      victim = id;
    }
  }
  return victim;
}

ConnectionGate::Admission ConnectionGate::Admit(uint64_t id, const std::string& client,
                                                int64_t now_ms) {
  Admission a;
  auto shed = [&](uint64_t victim) {
    a.shed.push_back(victim);
    Remove(victim);
  };
  if (open_from(client) >= limits_.max_connections_per_client) {
    const uint64_t victim = Victim([&](const Entry& e) { return e.client == client; });
    if (victim == 0) return a;
    shed(victim);
  }
  if (open() >= limits_.max_connections) {
    const uint64_t victim = Victim([](const Entry&) { return true; });
    if (victim == 0) return a;
    shed(victim);
  }
  connections_[id] = Entry{client, State::kIdle, now_ms};
  ++per_client_[client];
  a.admitted = true;
  return a;
}

void ConnectionGate::Update(uint64_t id, State state, int64_t now_ms) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second.state = state;
  it->second.last_activity_ms = now_ms;
}

void ConnectionGate::Remove(uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  auto pc = per_client_.find(it->second.client);
  if (--pc->second == 0) per_client_.erase(pc);
  connections_.erase(it);
}

int ConnectionGate::open_from(const std::string& client) const {
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

}  // namespace rvm::admin
