// IsoUtcMillis: Unix milliseconds -> "2026-02-07T10:15:30.123Z", the timestamp
// form of decision records and of the platform's offline-sync transactions.
// Pure; thread-safe. One home for the timestamps of decisions, uplink, admin and remote.
#pragma once

#include <cstdint>
#include <string>

namespace rvm {

std::string IsoUtcMillis(int64_t unix_ms);

}  // namespace rvm
