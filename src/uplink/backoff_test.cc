#include "uplink/backoff.h"

#include <gtest/gtest.h>

namespace rvm::uplink {
namespace {

TEST(BackoffTest, CapDoublesFromTheMinimumUpToTheMaximum) {
  Backoff b({.min_ms = 100, .max_ms = 1000}, 1);
  EXPECT_EQ(b.CapMs(1), 100);
  EXPECT_EQ(b.CapMs(2), 200);
  EXPECT_EQ(b.CapMs(3), 400);
  EXPECT_EQ(b.CapMs(4), 800);
  EXPECT_EQ(b.CapMs(5), 1000);
  EXPECT_EQ(b.CapMs(500), 1000);
}

TEST(BackoffTest, DelaysAreSpreadOverTheWholeJitterRange) {
  Backoff b({.min_ms = 100, .max_ms = 10'000}, 42);
  int64_t lo = 1 << 30, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    const int64_t d = b.NextDelayMs(8);  // cap 10'000
    ASSERT_GE(d, 50);
    ASSERT_LE(d, 10'000);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // Full jitter: draws reach both ends of [floor, cap], not a narrow band.
  EXPECT_LT(lo, 500);
  EXPECT_GT(hi, 9'500);
}

TEST(BackoffTest, TheSameSeedGivesTheSameDelays) {
  Backoff a({.min_ms = 10, .max_ms = 5000}, 7);
  Backoff b({.min_ms = 10, .max_ms = 5000}, 7);
  for (int attempt = 1; attempt < 20; ++attempt) {
    EXPECT_EQ(a.NextDelayMs(attempt), b.NextDelayMs(attempt));
  }
}

TEST(BackoffTest, NonsenseOptionsStillGiveAPositiveBoundedDelay) {
  Backoff b({.min_ms = 0, .max_ms = -5}, 3);
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int64_t d = b.NextDelayMs(attempt);
    EXPECT_GE(d, 1);
    EXPECT_LE(d, 1);
  }
}

}  // namespace
}  // namespace rvm::uplink
