#include "uplink/circuit_breaker.h"

#include <algorithm>

namespace rvm::uplink {

std::string_view CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

bool CircuitBreaker::AllowRequest() {
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      if (clock_.Now() < open_until_) return false;
      state_ = CircuitState::kHalfOpen;
      probe_outstanding_ = true;
      return true;
    case CircuitState::kHalfOpen:
      if (probe_outstanding_) return false;
      probe_outstanding_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  state_ = CircuitState::kClosed;
  consecutive_failures_ = 0;
  probe_outstanding_ = false;
  current_open_ms_ = 0;
}

void CircuitBreaker::RecordFailure() {
  probe_outstanding_ = false;
  if (state_ == CircuitState::kHalfOpen) {
    Open(std::min(options_.max_open_ms, std::max<int64_t>(1, current_open_ms_) * 2));
    return;
  }
  if (state_ == CircuitState::kOpen) return;
  if (++consecutive_failures_ >= std::max(1, options_.failure_threshold)) Open(options_.open_ms);
}

void CircuitBreaker::Open(int64_t period_ms) {
  state_ = CircuitState::kOpen;
  current_open_ms_ = period_ms;
  open_until_ = clock_.Now() + std::chrono::milliseconds(period_ms);
  ++times_opened_;
}

std::chrono::milliseconds CircuitBreaker::RemainingOpen() const {
  if (state_ != CircuitState::kOpen) return std::chrono::milliseconds(0);
  const auto left = open_until_ - clock_.Now();
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

}  // namespace rvm::uplink
