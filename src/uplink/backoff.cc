#include "uplink/backoff.h"

#include <algorithm>

namespace rvm::uplink {

int64_t Backoff::CapMs(int64_t attempt) const {
  const int64_t min_ms = std::max<int64_t>(1, options_.min_ms);
  const int64_t max_ms = std::max(min_ms, options_.max_ms);
  int64_t cap = min_ms;
  for (int64_t i = 1; i < attempt && cap < max_ms; ++i) cap *= 2;
  return std::min(cap, max_ms);
}

int64_t Backoff::NextDelayMs(int64_t attempt) {
  const int64_t cap = CapMs(std::max<int64_t>(1, attempt));
  const int64_t floor = std::min(cap, std::max<int64_t>(1, options_.min_ms / 2));
  std::uniform_int_distribution<int64_t> dist(floor, cap);
  return dist(rng_);
}

}  // namespace rvm::uplink
