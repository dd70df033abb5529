#include "capture/sleep.h"

#include <gtest/gtest.h>

#include <thread>

namespace rvm {
namespace {

using std::chrono::milliseconds;

TEST(SleepTest, FakeSleepAdvancesTheClockInsteadOfWaiting) {
  FakeClock clock;
  SleepFn sleep = FakeSleep(clock);
  auto before = clock.Now();
  sleep(milliseconds(1500));
  sleep(milliseconds(-5));
  EXPECT_EQ(clock.Now() - before, milliseconds(1500));
}

TEST(SleepTest, RealSleepWaitsAtLeastTheDuration) {
  auto start = std::chrono::steady_clock::now();
  RealSleep()(milliseconds(20));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
}

TEST(SleepTest, InterruptCutsALongWaitShort) {
  InterruptibleSleeper sleeper;
  SleepFn sleep = sleeper.AsSleepFn();
  auto start = std::chrono::steady_clock::now();
  std::thread waker([&] {
    std::this_thread::sleep_for(milliseconds(30));
    sleeper.Interrupt();
  });
  sleep(std::chrono::seconds(30));
  waker.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(sleeper.interrupted());
  // Later waits return at once.
  start = std::chrono::steady_clock::now();
  sleep(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(SleepTest, ResetLetsAnInterruptedSleeperWaitAgain) {
  InterruptibleSleeper sleeper;
  SleepFn sleep = sleeper.AsSleepFn();
  sleeper.Interrupt();
  sleeper.Reset();
  EXPECT_FALSE(sleeper.interrupted());
  auto start = std::chrono::steady_clock::now();
  sleep(milliseconds(20));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20))
      << "a restarted pipeline's waits must not spin";
}

TEST(SleepTest, UninterruptedSleeperWaitsTheFullDuration) {
  InterruptibleSleeper sleeper;
  auto start = std::chrono::steady_clock::now();
  sleeper.AsSleepFn()(milliseconds(20));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(20));
  EXPECT_FALSE(sleeper.interrupted());
}

}  // namespace
}  // namespace rvm
