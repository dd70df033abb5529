// Backoff: how long to wait before retrying a delivery, as exponential
// backoff with full jitter (a delay drawn uniformly from [0, cap], where cap
// doubles with every attempt up to a ceiling). Jitter spreads the retries of
// many machines that lost the platform at the same moment, so they do not
// return in lock step.
//
// Pure: the random source is injected, so tests pin the draws. A Backoff is
// not thread-safe; the delivery thread owns it.
#pragma once

#include <cstdint>
#include <random>

namespace rvm::uplink {

struct BackoffOptions {
  int64_t min_ms = 1000;    // cap of the first retry's delay, ms (> 0)
  int64_t max_ms = 60'000;  // ceiling of every delay, ms (>= min_ms)
};

class Backoff {
 public:
  Backoff(BackoffOptions options, uint64_t seed) : options_(options), rng_(seed) {}

  // The cap for the given attempt (1 = first retry): min_ms * 2^(attempt-1),
  // at most max_ms.
  int64_t CapMs(int64_t attempt) const;
  // A delay drawn uniformly from [min(cap, min_ms/2), cap]. The floor keeps a
  // dead server from being retried in a tight loop when the draw is near 0.
  int64_t NextDelayMs(int64_t attempt);

  const BackoffOptions& options() const { return options_; }
  // Replaces the options (a configuration reload); the random source goes on.
  void set_options(BackoffOptions options) { options_ = options; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace rvm::uplink
