#include "platform_sim/request_stats.h"

namespace rvm::sim {

void RequestStats::CountResponse(const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++by_route_[route][status];
  ++total_;
}

void RequestStats::ConnectionOpened() {
  std::lock_guard lock(mu_);
  ++connections_accepted_;
  ++connections_open_;
}

void RequestStats::ConnectionClosed() {
  std::lock_guard lock(mu_);
  --connections_open_;
}

void RequestStats::ApiConnectionSeen() {
  std::lock_guard lock(mu_);
  ++api_connections_;
}

int64_t RequestStats::requests_total() const {
  std::lock_guard lock(mu_);
  return total_;
}

int64_t RequestStats::connections_accepted() const {
  std::lock_guard lock(mu_);
  return connections_accepted_;
}

int64_t RequestStats::api_connections() const {
  std::lock_guard lock(mu_);
  return api_connections_;
}

int64_t RequestStats::Count(const std::string& route, int status) const {
  std::lock_guard lock(mu_);
  auto it = by_route_.find(route);
  if (it == by_route_.end()) return 0;
  auto s = it->second.find(status);
  return s == it->second.end() ? 0 : s->second;
}

nlohmann::json RequestStats::ToJson() const {
  std::lock_guard lock(mu_);
  nlohmann::json by_route = nlohmann::json::object();
  nlohmann::json validation = nlohmann::json::object();
  nlohmann::json auth = nlohmann::json::object();
  int64_t validation_total = 0, auth_total = 0, resets = 0;
  for (const auto& [route, statuses] : by_route_) {
    nlohmann::json per_status = nlohmann::json::object();
    for (const auto& [status, n] : statuses) {
      per_status[status == 0 ? "reset" : std::to_string(status)] = n;
      if (status == 422) {
        validation[route] = n;
        validation_total += n;
      } else if (status == 401 || status == 403) {
        auth[route] = auth.value(route, int64_t{0}) + n;
        auth_total += n;
      } else if (status == 0) {
        resets += n;
      }
    }
    by_route[route] = std::move(per_status);
  }
  return {
      {"requests", {{"total", total_}, {"by_route", std::move(by_route)}}},
      {"connections",
       {{"accepted", connections_accepted_},
        {"open", connections_open_},
        {"with_api_requests", api_connections_},
        {"reset_by_sim", resets}}},
      {"validation_failures", {{"total", validation_total}, {"by_route", std::move(validation)}}},
      {"auth_failures", {{"total", auth_total}, {"by_route", std::move(auth)}}}};
}

void RequestStats::ResetRequests() {
  std::lock_guard lock(mu_);
  by_route_.clear();
  total_ = 0;
}

}  // namespace rvm::sim
