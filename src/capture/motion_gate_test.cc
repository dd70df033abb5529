#include "capture/motion_gate.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "capture/synthetic_source.h"

namespace rvm {
namespace {

// Runs `scene` through a default gate; returns the per-frame verdicts.
std::vector<MotionVerdict> RunGate(const SyntheticSceneOptions& scene, int frames,
                                   const MotionGateOptions& gate_options = {}) {
  FakeClock clock;
  SyntheticSource source(scene, clock);
  EXPECT_TRUE(source.Open().ok());
  MotionGate gate(gate_options);
  Frame frame;
  std::vector<MotionVerdict> verdicts;
  for (int i = 0; i < frames; ++i) {
    EXPECT_TRUE(source.Read(frame).ok());
    verdicts.push_back(gate.Update(frame.image));
  }
  return verdicts;
}

int CountMotion(const std::vector<MotionVerdict>& v, size_t from = 0, size_t to = SIZE_MAX) {
  int n = 0;
  for (size_t i = from; i < std::min(to, v.size()); ++i) n += v[i].motion ? 1 : 0;
  return n;
}

TEST(MotionGateTest, StaticSceneHasNoMotion) {
  auto v = RunGate(SyntheticSceneOptions{}, 50);
  EXPECT_EQ(CountMotion(v), 0);
  EXPECT_EQ(v.back().changed_fraction, 0.0);
}

TEST(MotionGateTest, SensorNoiseAloneIsNotMotion) {
  SyntheticSceneOptions scene;
  scene.noise_stddev = 10;  // strong noise for an 8-bit sensor
  auto v = RunGate(scene, 100);
  EXPECT_EQ(CountMotion(v), 0);
}

TEST(MotionGateTest, ObjectEnteringIsMotionAndLeavingEndsIt) {
  SyntheticSceneOptions scene;
  scene.noise_stddev = 4;
  scene.objects.push_back({.enter_frame = 20, .exit_frame = 40, .size = {80, 200}});
  auto v = RunGate(scene, 60);
  EXPECT_EQ(CountMotion(v, 0, 20), 0) << "before the object";
  // Every frame where the object is wholly inside the view is motion.
  EXPECT_EQ(CountMotion(v, 22, 38), 16);
  EXPECT_EQ(CountMotion(v, 41, 60), 0) << "after the object left";
}

TEST(MotionGateTest, ARaisedMotionThresholdTakesEffectOnTheNextFrame) {
  SyntheticSceneOptions scene;
  scene.objects.push_back({.enter_frame = 5, .exit_frame = 40, .size = {80, 200}});
  FakeClock clock;
  SyntheticSource source(scene, clock);
  ASSERT_TRUE(source.Open().ok());
  MotionGate gate;
  Frame frame;
  int motion_before = 0, motion_after = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(source.Read(frame).ok());
    if (i == 15) gate.set_min_changed_fraction(1.0);  // every pixel would have to change
    (i < 15 ? motion_before : motion_after) += gate.Update(frame.image).motion ? 1 : 0;
  }
  EXPECT_GT(motion_before, 5);
  EXPECT_EQ(motion_after, 0);
}

TEST(MotionGateTest, SlowLightingDriftIsAbsorbed) {
  SyntheticSceneOptions scene;
  scene.noise_stddev = 3;
  scene.brightness_drift_per_frame = 0.5;  // 50 grey levels over the run
  MotionGateOptions gate;
  gate.compensate_global_brightness = false;  // the background alone must follow it
  auto v = RunGate(scene, 100, gate);
  EXPECT_EQ(CountMotion(v), 0);
}

TEST(MotionGateTest, SuddenGlobalBrightnessStepIsNotMotion) {
  MotionGate gate;
  cv::Mat scene(240, 320, CV_8UC3, cv::Scalar(100, 100, 100));
  cv::rectangle(scene, cv::Rect(0, 0, 40, 240), cv::Scalar(40, 40, 40), cv::FILLED);
  for (int i = 0; i < 5; ++i) gate.Update(scene);
  cv::Mat brighter = scene + cv::Scalar::all(40);
  EXPECT_FALSE(gate.Update(brighter).motion);
}

TEST(MotionGateTest, ObjectLeftLyingIsAbsorbedEventually) {
  MotionGateOptions options;
  options.background_rate_in_motion = 0.02;
  MotionGate gate(options);
  cv::Mat empty(240, 320, CV_8UC3, cv::Scalar(120, 120, 120));
  cv::Mat with_object = empty.clone();
  cv::rectangle(with_object, cv::Rect(100, 60, 80, 120), cv::Scalar(20, 180, 20), cv::FILLED);
  gate.Update(empty);
  EXPECT_TRUE(gate.Update(with_object).motion);
  bool absorbed = false;
  for (int i = 0; i < 500 && !absorbed; ++i) absorbed = !gate.Update(with_object).motion;
  EXPECT_TRUE(absorbed);
}

TEST(MotionGateTest, ResetForgetsTheBackground) {
  MotionGate gate;
  cv::Mat a(120, 160, CV_8UC3, cv::Scalar(50, 50, 50));
  cv::Mat b(120, 160, CV_8UC3, cv::Scalar(50, 50, 50));
  cv::rectangle(b, cv::Rect(40, 30, 60, 60), cv::Scalar(250, 250, 250), cv::FILLED);
  gate.Update(a);
  gate.Reset();
  EXPECT_FALSE(gate.Update(b).motion) << "first frame after Reset only seeds";
  EXPECT_FALSE(gate.Update(b).motion);
}

TEST(MotionGateTest, AcceptsGreyFrames) {
  MotionGate gate;
  cv::Mat a(120, 160, CV_8UC1, cv::Scalar(50));
  cv::Mat b = a.clone();
  cv::rectangle(b, cv::Rect(40, 30, 60, 60), cv::Scalar(250), cv::FILLED);
  gate.Update(a);
  EXPECT_TRUE(gate.Update(b).motion);
}

TEST(MotionGateTest, MovementOutsideTheRegionOfInterestIsNotMotion) {
  MotionGateOptions o;
  o.roi = Roi{0.5, 0, 1, 1};  // the right half only
  MotionGate gate(o);
  MotionGate whole;
  cv::Mat empty(240, 320, CV_8UC3, cv::Scalar(90, 90, 90));
  gate.Update(empty);
  whole.Update(empty);
  cv::Mat left = empty.clone();
  cv::rectangle(left, cv::Rect(40, 60, 80, 120), cv::Scalar(20, 200, 240), cv::FILLED);
  EXPECT_TRUE(whole.Update(left).motion);
  EXPECT_FALSE(gate.Update(left).motion);
  cv::Mat right = empty.clone();
  cv::rectangle(right, cv::Rect(200, 60, 80, 120), cv::Scalar(20, 200, 240), cv::FILLED);
  EXPECT_TRUE(gate.Update(right).motion);
}

TEST(MotionGateTest, ValidateNamesTheBadField) {
  MotionGateOptions o;
  o.min_changed_fraction = 0;
  Status s = MotionGate::Validate(o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("min_changed_fraction"), std::string::npos);
  o = {};
  o.thumbnail = {2, 2};
  EXPECT_NE(MotionGate::Validate(o).message().find("thumbnail"), std::string::npos);
  o = {};
  o.background_rate_in_motion = 0.5;
  EXPECT_NE(MotionGate::Validate(o).message().find("background_rate_in_motion"), std::string::npos);
  EXPECT_TRUE(MotionGate::Validate(MotionGateOptions{}).ok());
}

}  // namespace
}  // namespace rvm
