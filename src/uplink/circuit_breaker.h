// CircuitBreaker: stops the uplink hammering a platform that is down.
//
// Closed: requests flow; `failure_threshold` consecutive failures open it.
// Open: no request is made for `open_ms`; then it turns half-open.
// Half-open: one probe request is let through; its success closes the
// circuit, its failure opens it again for twice as long (up to max_open_ms),
// so a server that stays dead is probed ever more rarely.
//
// Time comes from the injected Clock (FakeClock in tests). Not thread-safe:
// the delivery thread owns it; others read a copy of its state through
// DeliveryService's stats.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "base/clock.h"

namespace rvm::uplink {

struct CircuitBreakerOptions {
  int failure_threshold = 5;     // consecutive failures that open the circuit
  int64_t open_ms = 5'000;       // first open period, ms
  int64_t max_open_ms = 60'000;  // longest open period after repeated failed probes, ms
};

enum class CircuitState { kClosed, kOpen, kHalfOpen };
std::string_view CircuitStateName(CircuitState state);  // "closed" | "open" | "half_open"

class CircuitBreaker {
 public:
  CircuitBreaker(CircuitBreakerOptions options, const Clock& clock)
      : options_(options), clock_(clock) {}

  // True when a request may be made now. In the open state this turns the
  // circuit half-open once the open period is over and admits one probe;
  // while that probe is outstanding further calls return false.
  bool AllowRequest();
  void RecordSuccess();
  void RecordFailure();

  CircuitState state() const { return state_; }
  // Time until an open circuit admits a probe; zero when not open.
  std::chrono::milliseconds RemainingOpen() const;
  int64_t times_opened() const { return times_opened_; }

 private:
  void Open(int64_t period_ms);

  const CircuitBreakerOptions options_;
  const Clock& clock_;
  CircuitState state_ = CircuitState::kClosed;
  int consecutive_failures_ = 0;
  bool probe_outstanding_ = false;
  int64_t current_open_ms_ = 0;
  std::chrono::steady_clock::time_point open_until_{};
  int64_t times_opened_ = 0;
};

}  // namespace rvm::uplink
