#include "capture/capture_scheduler.h"

#include <gtest/gtest.h>

#include <thread>

namespace rvm {
namespace {

using std::chrono::milliseconds;

CaptureScheduleOptions Options() {
  CaptureScheduleOptions o;
  o.idle_fps = 4;     // every 250 ms
  o.active_fps = 20;  // every 50 ms
  o.quiet_period = milliseconds(1000);
  return o;
}

class CaptureSchedulerTest : public ::testing::Test {
 protected:
  // Sleeps until the next sample is due and reports it.
  void SampleAtDue(bool motion) {
    auto due = scheduler_.NextSampleDue();
    if (due > clock_.Now()) clock_.Advance(due - clock_.Now());
    scheduler_.OnSample(motion);
  }
  milliseconds UntilDue() {
    return std::chrono::duration_cast<milliseconds>(scheduler_.NextSampleDue() - clock_.Now());
  }

  FakeClock clock_;
  CaptureScheduler scheduler_{Options(), clock_};
};

TEST_F(CaptureSchedulerTest, StartsIdleWithASampleDueAtOnce) {
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kIdle);
  EXPECT_FALSE(scheduler_.ShouldRunDetector());
  EXPECT_EQ(UntilDue(), milliseconds(0));
}

TEST_F(CaptureSchedulerTest, IdleSamplesAtTheIdleRateAndNeverRunsTheDetector) {
  for (int i = 0; i < 10; ++i) {
    SampleAtDue(false);
    EXPECT_EQ(UntilDue(), milliseconds(250));
    EXPECT_FALSE(scheduler_.ShouldRunDetector());
  }
  EXPECT_EQ(scheduler_.idle_to_active(), 0);
}

TEST_F(CaptureSchedulerTest, MotionSwitchesToActiveAtTheFullRate) {
  SampleAtDue(false);
  SampleAtDue(true);
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  EXPECT_TRUE(scheduler_.ShouldRunDetector());
  EXPECT_EQ(UntilDue(), milliseconds(50));
  EXPECT_EQ(scheduler_.idle_to_active(), 1);
}

TEST_F(CaptureSchedulerTest, ReturnsToIdleAfterTheQuietPeriod) {
  SampleAtDue(true);
  // 19 quiet samples at 50 ms = 950 ms: still active.
  for (int i = 0; i < 19; ++i) SampleAtDue(false);
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  SampleAtDue(false);  // 1000 ms after the motion
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kIdle);
  EXPECT_EQ(scheduler_.active_to_idle(), 1);
  EXPECT_EQ(UntilDue(), milliseconds(250));
}

TEST_F(CaptureSchedulerTest, MotionDuringActiveRestartsTheQuietPeriod) {
  SampleAtDue(true);
  for (int i = 0; i < 15; ++i) SampleAtDue(false);  // 750 ms
  SampleAtDue(true);
  for (int i = 0; i < 15; ++i) SampleAtDue(false);  // 750 ms after the second motion
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
}

TEST_F(CaptureSchedulerTest, TriggerSwitchesToActiveAndMakesASampleDueNow) {
  SampleAtDue(false);
  clock_.Advance(milliseconds(10));  // 240 ms before the next idle sample
  scheduler_.Trigger();
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  EXPECT_LE(UntilDue(), milliseconds(0));
}

TEST_F(CaptureSchedulerTest, TriggerFromAnotherThreadIsSeenByTheCaptureThread) {
  std::thread t([this] { scheduler_.Trigger(); });
  t.join();
  EXPECT_TRUE(scheduler_.ShouldRunDetector());
}

TEST_F(CaptureSchedulerTest, ItemInProgressHoldsActiveModePastTheQuietPeriod) {
  SampleAtDue(true);
  scheduler_.SetItemInProgress(true);
  for (int i = 0; i < 100; ++i) SampleAtDue(false);  // 5 s without motion
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  scheduler_.SetItemInProgress(false);
  for (int i = 0; i < 19; ++i) SampleAtDue(false);
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive) << "quiet period counts from the item's end";
  SampleAtDue(false);
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kIdle);
}

TEST_F(CaptureSchedulerTest, ASlowFrameDoesNotCauseABurstOfCatchUpSamples) {
  SampleAtDue(false);
  clock_.Advance(milliseconds(2000));  // the loop was stuck for 8 idle periods
  scheduler_.OnSample(false);
  EXPECT_EQ(UntilDue(), milliseconds(0));
  scheduler_.OnSample(false);
  EXPECT_EQ(UntilDue(), milliseconds(250));
}

TEST_F(CaptureSchedulerTest, NewOptionsTakeEffectWithinOneNewPeriod) {
  SampleAtDue(false);
  EXPECT_EQ(UntilDue(), milliseconds(250));
  CaptureScheduleOptions faster = Options();
  faster.idle_fps = 10;  // every 100 ms
  scheduler_.SetOptions(faster);
  EXPECT_EQ(UntilDue(), milliseconds(100));
  SampleAtDue(false);
  EXPECT_EQ(UntilDue(), milliseconds(100));
}

TEST_F(CaptureSchedulerTest, AShorterQuietPeriodEndsTheActiveWindowSooner) {
  scheduler_.Trigger();
  ASSERT_EQ(scheduler_.mode(), CaptureMode::kActive);
  clock_.Advance(milliseconds(300));
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  CaptureScheduleOptions shorter = Options();
  shorter.quiet_period = milliseconds(200);
  scheduler_.SetOptions(shorter);
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kIdle);
}

TEST(CaptureScheduleOptionsTest, ValidateNamesTheBadField) {
  CaptureScheduleOptions o;
  o.idle_fps = 0;
  EXPECT_NE(CaptureScheduler::Validate(o).message().find("idle_fps"), std::string::npos);
  o = {};
  o.active_fps = 1;
  o.idle_fps = 5;
  EXPECT_NE(CaptureScheduler::Validate(o).message().find("active_fps"), std::string::npos);
  EXPECT_TRUE(CaptureScheduler::Validate(CaptureScheduleOptions{}).ok());
}

}  // namespace
}  // namespace rvm
