#include "logging/state_log.h"

#include <algorithm>

#include "logging/logging.h"

namespace rvm {

StateLog::StateLog(std::string component, const Clock& clock, StateLogOptions options, Sink sink)
    : component_(std::move(component)), clock_(clock), options_(options), sink_(std::move(sink)) {}

void StateLog::Seed(std::string_view subject, std::string_view state) {
  auto [it, fresh] = subjects_.try_emplace(std::string(subject));
  if (fresh) {
    it->second.tokens = options_.burst;
    it->second.refilled = clock_.Now();
  }
  it->second.state = std::string(state);
}

bool StateLog::Report(std::string_view subject, std::string_view state, LogLevel level,
                      std::string_view message, std::vector<LogField> fields) {
  const auto now = clock_.Now();
  auto [it, fresh] = subjects_.try_emplace(std::string(subject));
  Subject& s = it->second;
  if (fresh) {
    s.tokens = options_.burst;
    s.refilled = now;
  }
  if (!fresh && s.state == state) return false;
  s.state = std::string(state);
  if (options_.refill.count() > 0) {
    const double earned = std::chrono::duration<double>(now - s.refilled) /
                          std::chrono::duration<double>(options_.refill);
    s.tokens = std::min<double>(options_.burst, s.tokens + earned);
    s.refilled = now;
  }
  if (s.tokens < 1) {
    ++s.suppressed;
    return false;
  }
  s.tokens -= 1;
  if (s.suppressed > 0) {
    fields.emplace_back("suppressed_changes", s.suppressed);
    s.suppressed = 0;
  }
  if (sink_) {
    sink_(level, component_, message, fields);
  } else {
    Log(level, component_, message, fields);
  }
  return true;
}

std::string StateLog::state(std::string_view subject) const {
  auto it = subjects_.find(subject);
  return it == subjects_.end() ? std::string() : it->second.state;
}

}  // namespace rvm
