// Retry-After: parses the HTTP header a server sends with 429 or 503
// (RFC 9110 10.2.3), either delay-seconds ("120") or an HTTP-date
// ("Sun, 06 Nov 1994 08:49:37 GMT"), into a delay in milliseconds.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rvm::uplink {

// The delay the header asks for, in ms from `now_wall_ms` (Unix ms); a date
// in the past gives 0. nullopt when the value is empty or malformed.
std::optional<int64_t> ParseRetryAfterMs(std::string_view value, int64_t now_wall_ms);

}  // namespace rvm::uplink
