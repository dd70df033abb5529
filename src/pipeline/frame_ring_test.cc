#include "pipeline/frame_ring.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

namespace rvm {
namespace {

using TP = FrameRing::TimePoint;

TP At(int ms) { return TP(std::chrono::milliseconds(ms)); }

cv::Mat Solid(int v) { return cv::Mat(48, 64, CV_8UC3, cv::Scalar(v, v, v)); }

TEST(FrameRingTest, FindsAKeptFrameByItsTime) {
  FrameRing ring(3);
  ring.Add(At(1), Solid(10));
  ring.Add(At(2), Solid(20));
  const FrameRing::Entry* e = ring.Find(At(1));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->image.at<cv::Vec3b>(0, 0)[0], 10);
  EXPECT_EQ(ring.Find(At(3)), nullptr);
}

TEST(FrameRingTest, ForgetsTheOldestFrameWhenFull) {
  FrameRing ring(2);
  ring.Add(At(1), Solid(10));
  ring.Add(At(2), Solid(20));
  ring.Add(At(3), Solid(30));
  EXPECT_EQ(ring.Find(At(1)), nullptr);
  ASSERT_NE(ring.Find(At(3)), nullptr);
  EXPECT_EQ(ring.Find(At(3))->image.at<cv::Vec3b>(0, 0)[0], 30);
  EXPECT_EQ(ring.size(), 2);
}

TEST(FrameRingTest, KeepsACopyNotTheCallersBuffer) {
  FrameRing ring(1);
  cv::Mat m = Solid(10);
  ring.Add(At(1), m);
  m.setTo(cv::Scalar(99, 99, 99));
  EXPECT_EQ(ring.Find(At(1))->image.at<cv::Vec3b>(0, 0)[0], 10);
}

TEST(FrameRingTest, EncodesTheChosenFrameAsJpeg) {
  FrameRing ring(2);
  ring.Add(At(1), Solid(200));
  auto jpeg = ring.EncodeJpeg(At(1));
  ASSERT_TRUE(jpeg.ok()) << jpeg.status().ToString();
  std::vector<uint8_t> bytes(jpeg->begin(), jpeg->end());
  cv::Mat back = cv::imdecode(bytes, cv::IMREAD_COLOR);
  ASSERT_EQ(back.cols, 64);
  EXPECT_NEAR(back.at<cv::Vec3b>(10, 10)[0], 200, 3);
  EXPECT_EQ(ring.EncodeJpeg(At(7)).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace rvm
