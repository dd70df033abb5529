#include "capture/synthetic_source.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace rvm {
namespace {

SyntheticSceneOptions OneObject() {
  SyntheticSceneOptions o;
  o.width = 320;
  o.height = 240;
  o.objects.push_back({.enter_frame = 10, .exit_frame = 20, .size = {60, 120}});
  return o;
}

TEST(SyntheticSourceTest, FramesAreBgr8OfTheConfiguredSizeWithRisingSequence) {
  FakeClock clock;
  SyntheticSource source(OneObject(), clock, FakeSleep(clock));
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.Read(frame).ok());
    EXPECT_EQ(frame.seq, i);
  }
  EXPECT_EQ(frame.image.type(), CV_8UC3);
  EXPECT_EQ(frame.image.size(), cv::Size(320, 240));
  EXPECT_EQ(frame.source_name, "synthetic");
}

TEST(SyntheticSourceTest, ReopeningStartsTheSceneAgain) {
  FakeClock clock;
  SyntheticSceneOptions o = OneObject();
  o.frame_count = 30;
  SyntheticSource source(o, clock, FakeSleep(clock));
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  while (source.Read(frame).ok()) {
  }
  source.Close();
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.seq, 0);
  EXPECT_EQ(source.last_scene_frame(), 0);
}

TEST(SyntheticSourceTest, SameOptionsGiveIdenticalPixels) {
  FakeClock clock;
  SyntheticSceneOptions o = OneObject();
  o.noise_stddev = 3;
  SyntheticSource a(o, clock), b(o, clock);
  ASSERT_TRUE(a.Open().ok());
  ASSERT_TRUE(b.Open().ok());
  Frame fa, fb;
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(a.Read(fa).ok());
    ASSERT_TRUE(b.Read(fb).ok());
  }
  EXPECT_EQ(cv::norm(fa.image, fb.image, cv::NORM_INF), 0.0);
}

TEST(SyntheticSourceTest, ObjectChangesPixelsOnlyWhileVisible) {
  FakeClock clock;
  SyntheticSource source(OneObject(), clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  cv::Mat empty;
  for (int64_t i = 0; i < 25; ++i) {
    ASSERT_TRUE(source.Read(frame).ok());
    if (i == 0) {
      frame.image.copyTo(empty);
      continue;
    }
    double diff = cv::norm(frame.image, empty, cv::NORM_L1);
    EXPECT_EQ(diff > 0, source.ObjectVisibleAt(i)) << "frame " << i;
  }
}

TEST(SyntheticSourceTest, EndsAfterFrameCount) {
  FakeClock clock;
  SyntheticSceneOptions o = OneObject();
  o.frame_count = 2;
  SyntheticSource source(o, clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  EXPECT_TRUE(source.Read(frame).ok());
  EXPECT_TRUE(source.Read(frame).ok());
  EXPECT_TRUE(IsEndOfStream(source.Read(frame)));
}

TEST(SyntheticSourceTest, PacedSourceWaitsOneFramePeriodBetweenFrames) {
  FakeClock clock;
  SyntheticSceneOptions o = OneObject();
  o.fps = 20;
  o.pace = true;
  SyntheticSource source(o, clock, FakeSleep(clock));
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  ASSERT_TRUE(source.Read(frame).ok());
  auto first = frame.captured_at;
  ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.captured_at - first, std::chrono::milliseconds(50));
}

TEST(SyntheticSourceTest, ReusesTheCallersBuffer) {
  FakeClock clock;
  SyntheticSource source(OneObject(), clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  ASSERT_TRUE(source.Read(frame).ok());
  const uchar* data = frame.image.data;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.image.data, data);
}

TEST(SyntheticSourceTest, ObjectThatExitsBeforeItEntersIsRejected) {
  FakeClock clock;
  SyntheticSceneOptions o;
  o.objects.push_back({.enter_frame = 5, .exit_frame = 5});
  SyntheticSource source(o, clock);
  Status s = source.Open();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("exit_frame"), std::string::npos) << s.ToString();
}

TEST(SyntheticSourceTest, ReadBeforeOpenIsTemporary) {
  FakeClock clock;
  SyntheticSource source(OneObject(), clock);
  Frame frame;
  EXPECT_TRUE(IsTemporary(source.Read(frame)));
}

}  // namespace
}  // namespace rvm
