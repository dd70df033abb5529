#include "base/clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace rvm {
namespace {

using std::chrono::milliseconds;

TEST(ClockTest, AFakeFrameTimeKeepsItsWallTimeWhileTheClockMovesOn) {
  FakeClock clock(1'700'000'000'000);
  clock.Advance(std::chrono::microseconds(2'400));
  const auto frame = clock.Now();
  EXPECT_EQ(clock.WallMillisAt(frame), 1'700'000'000'002);
  clock.Advance(std::chrono::microseconds(33'700));  // another thread's sleep
  EXPECT_EQ(clock.WallMillisAt(frame), 1'700'000'000'002);
  EXPECT_EQ(clock.WallMillisAt(clock.Now()), clock.WallMillis());
}

TEST(ClockTest, TheSteadyClockPutsAnEarlierMomentThatMuchEarlierOnTheWallClock) {
  const SteadyClock& clock = SteadyClock::Instance();
  const int64_t before = clock.WallMillis();
  const int64_t then = clock.WallMillisAt(clock.Now() - milliseconds(5'000));
  const int64_t after = clock.WallMillis();
  EXPECT_GE(then, before - 5'000 - 1);
  EXPECT_LE(then, after - 5'000 + 1);
}

}  // namespace
}  // namespace rvm
