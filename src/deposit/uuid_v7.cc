#include "deposit/uuid_v7.h"

#include <memory>
#include <random>

namespace rvm {
namespace {

constexpr uint64_t kRandBMask = (uint64_t{1} << 62) - 1;
constexpr uint16_t kRandAMask = 0x0fff;

UuidV7Generator::RandomSource DefaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return (*engine)(); };
}

void AppendHex(std::string& out, uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kHex[(v >> (4 * i)) & 0xf];
}

}  // namespace

UuidV7Generator::UuidV7Generator(const Clock& clock) : UuidV7Generator(clock, DefaultRandom()) {}

UuidV7Generator::UuidV7Generator(const Clock& clock, RandomSource random)
    : clock_(clock), random_(std::move(random)) {}

std::string UuidV7Generator::Next() {
  int64_t ms;
  uint16_t a;
  uint64_t b;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int64_t now = clock_.WallMillis();
    if (now > last_ms_) {
      last_ms_ = now;
      const uint64_t r = random_();
      rand_a_ = static_cast<uint16_t>(r & kRandAMask);
      // Start rand_b in its lower half so many increments fit before a carry.
      rand_b_ = random_() & (kRandBMask >> 1);
    } else if (rand_b_ < kRandBMask) {
      ++rand_b_;
    } else {
      rand_b_ = 0;
      if (rand_a_ < kRandAMask) {
        ++rand_a_;
      } else {
        rand_a_ = 0;
        ++last_ms_;
      }
    }
    ms = last_ms_;
    a = rand_a_;
    b = rand_b_;
  }
  const uint64_t hi = (static_cast<uint64_t>(ms) << 16) | 0x7000 | a;
  const uint64_t lo = (uint64_t{0b10} << 62) | b;
  std::string out;
  out.reserve(36);
  AppendHex(out, hi >> 32, 8);
  out += '-';
  AppendHex(out, (hi >> 16) & 0xffff, 4);
  out += '-';
  AppendHex(out, hi & 0xffff, 4);
  out += '-';
  AppendHex(out, lo >> 48, 4);
  out += '-';
  AppendHex(out, lo & 0xffffffffffffULL, 12);
  return out;
}

bool IsUuidV7(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    const char c = s[i];
    if (dash != (c == '-')) return false;
    if (!dash && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return s[14] == '7' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

std::optional<int64_t> UuidV7Millis(std::string_view s) {
  if (!IsUuidV7(s)) return std::nullopt;
  int64_t ms = 0;
  for (size_t i = 0; i < 13; ++i) {
    if (i == 8) continue;
    const char c = s[i];
    ms = ms * 16 + (c <= '9' ? c - '0' : c - 'a' + 10);
  }
  return ms;
}

}  // namespace rvm
