#include "capture/capture_loop.h"

#include <gtest/gtest.h>

#include "capture/mat_allocation_counter.h"
#include "capture/synthetic_source.h"

namespace rvm {
namespace {

using std::chrono::milliseconds;

// A 30 fps "camera" (paced synthetic scene) with one object passing through
// between frames 300 and 330 (10 s to 11 s).
class CaptureLoopTest : public ::testing::Test {
 protected:
  CaptureLoopTest()
      : source_(Scene(), clock_, FakeSleep(clock_)),
        scheduler_(Schedule(), clock_),
        loop_(source_, scheduler_, gate_, clock_, FakeSleep(clock_)) {
    EXPECT_TRUE(source_.Open().ok());
  }
  static SyntheticSceneOptions Scene() {
    SyntheticSceneOptions o;
    o.width = 320;
    o.height = 240;
    o.fps = 30;
    o.pace = true;
    o.noise_stddev = 3;
    o.objects.push_back({.enter_frame = 300, .exit_frame = 330, .size = {60, 120}});
    return o;
  }
  static CaptureScheduleOptions Schedule() {
    return {.idle_fps = 2, .active_fps = 30, .quiet_period = milliseconds(1000)};
  }
  // Runs the loop until the clock passes `until`; counts detector frames.
  int RunUntil(milliseconds until) {
    int to_detector = 0;
    while (clock_.Now().time_since_epoch() < until) {
      auto step = loop_.Next(frame_);
      EXPECT_TRUE(step.ok()) << step.status().ToString();
      if (step.ok() && step->to_detector) {
        ++to_detector;
        EXPECT_EQ(step->mode, CaptureMode::kActive);
      }
    }
    return to_detector;
  }

  FakeClock clock_;
  SyntheticSource source_;
  CaptureScheduler scheduler_;
  MotionGate gate_;
  CaptureLoop loop_;
  Frame frame_;
};

TEST_F(CaptureLoopTest, EmptyChuteIsSampledAtTheIdleRateAndNeverReachesTheDetector) {
  EXPECT_EQ(RunUntil(milliseconds(9000)), 0);
  // 2 fps for 9 s, plus the sample at t = 0.
  EXPECT_NEAR(loop_.frames_sampled(), 19, 1);
}

TEST_F(CaptureLoopTest, PassingObjectSendsFramesToTheDetectorThenGoesBackToIdle) {
  RunUntil(milliseconds(9400));  // last sample at 9.5 s, before the object
  EXPECT_EQ(loop_.frames_to_detector(), 0);
  RunUntil(milliseconds(11000));
  // The idle sampler sees the object within half a second of it entering,
  // then samples at the full rate while it is in view.
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kActive);
  EXPECT_GE(loop_.frames_to_detector(), 10);
  RunUntil(milliseconds(13000));
  EXPECT_EQ(scheduler_.mode(), CaptureMode::kIdle) << "quiet for a second after the object left";
  int64_t detector_frames = loop_.frames_to_detector();
  RunUntil(milliseconds(20000));
  EXPECT_EQ(loop_.frames_to_detector(), detector_frames);
}

TEST_F(CaptureLoopTest, TriggerSendsFramesToTheDetectorWithoutMotion) {
  RunUntil(milliseconds(2000));
  scheduler_.Trigger();
  auto step = loop_.Next(frame_);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->to_detector);
  EXPECT_FALSE(step->motion.motion);
}

TEST_F(CaptureLoopTest, SourceErrorsAreReturnedUnchanged) {
  source_.Close();
  auto step = loop_.Next(frame_);
  ASSERT_FALSE(step.ok());
  EXPECT_TRUE(IsTemporary(step.status()));
  EXPECT_EQ(loop_.frames_sampled(), 0);
}

TEST_F(CaptureLoopTest, SteadyStateAllocatesNoImageBuffers) {
  // Warm up: the first frames size the frame, thumbnail and background buffers.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(loop_.Next(frame_).ok());
  MatAllocationCounter counter;
  {
    cv::Mat probe(4, 4, CV_8UC1);  // the counter does see allocations
  }
  ASSERT_EQ(counter.TakeCount(), 1);
  scheduler_.Trigger();  // both modes: a few idle samples, then active ones
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(loop_.Next(frame_).ok());
  EXPECT_EQ(counter.TakeCount(), 0);
}

}  // namespace
}  // namespace rvm
