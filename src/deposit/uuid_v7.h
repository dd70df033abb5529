// UuidV7Generator: time-ordered unique ids (RFC 9562 version 7) for items and
// sessions. An id is the idempotency key of a deposit all the way to the
// platform, so two ids must never collide and, minted on one machine, sort in
// the order they were minted.
//
// Layout: 48-bit Unix milliseconds, version 7, 74 random bits. Within one
// millisecond (or when the wall clock steps back) the previous id's random
// bits are incremented instead of redrawn (RFC 9562 6.2 method 2), so ids
// stay strictly increasing; a carry out of the random bits advances the
// timestamp by one millisecond.
//
// Thread-safe: Next() may be called from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"

namespace rvm {

class UuidV7Generator {
 public:
  // Source of random bits; tests inject a deterministic one.
  using RandomSource = std::function<uint64_t()>;

  // Uses a std::random_device-seeded generator.
  explicit UuidV7Generator(const Clock& clock);
  UuidV7Generator(const Clock& clock, RandomSource random);

  // "0190f5b2-3c4d-7abc-8def-0123456789ab": lowercase, 36 characters.
  std::string Next();

 private:
  const Clock& clock_;
  RandomSource random_;
  std::mutex mu_;
  int64_t last_ms_ = -1;  // guarded by mu_
  uint16_t rand_a_ = 0;   // 12 bits, guarded by mu_
  uint64_t rand_b_ = 0;   // 62 bits, guarded by mu_
};

// Whether `s` is a well-formed lowercase UUIDv7 string.
bool IsUuidV7(std::string_view s);

// The Unix-millisecond timestamp of a UUIDv7; nullopt when `s` is not one.
std::optional<int64_t> UuidV7Millis(std::string_view s);

}  // namespace rvm
