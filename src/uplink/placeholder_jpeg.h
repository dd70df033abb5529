// PlaceholderJpeg: a tiny valid JPEG (8x8 mid-grey) sent in place of an
// evidence image the outbox no longer has (dropped to stay within its quota,
// or lost). Edge v1's /edge/deposit requires an image part, and a deposit is
// money: it is delivered without its evidence rather than not at all; the
// payload says so (`evidence: "unavailable"`). Thread-safe (built once).
#pragma once

#include <cstdint>
#include <vector>

namespace rvm::uplink {

const std::vector<uint8_t>& PlaceholderJpeg();

}  // namespace rvm::uplink
