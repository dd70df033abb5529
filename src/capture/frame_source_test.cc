#include "capture/frame_source.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

namespace rvm {
namespace {

TEST(FrameSourceTest, EndOfStreamIsNeitherTemporaryNorFatal) {
  Status eos = EndOfStream("video:a.mp4");
  EXPECT_TRUE(IsEndOfStream(eos));
  EXPECT_FALSE(IsTemporary(eos));
  EXPECT_FALSE(IsFatal(eos));
  EXPECT_NE(eos.message().find("video:a.mp4"), std::string::npos);
}

TEST(FrameSourceTest, UnavailableIsTemporaryAndOtherErrorsAreFatal) {
  EXPECT_TRUE(IsTemporary(Unavailable("camera gone")));
  EXPECT_FALSE(IsFatal(Unavailable("camera gone")));
  EXPECT_TRUE(IsFatal(InvalidArgument("bad")));
  EXPECT_TRUE(IsFatal(ResourceExhausted("pool is empty")));
  EXPECT_FALSE(IsFatal(Status::Ok()));
}

TEST(FrameSourceTest, Bgr8PassesThroughWithoutCopy) {
  cv::Mat image(4, 6, CV_8UC3, cv::Scalar(1, 2, 3)), scratch;
  const uchar* data = image.data;
  ASSERT_TRUE(EnsureBgr8(image, scratch, "x").ok());
  EXPECT_EQ(image.data, data);
}

TEST(FrameSourceTest, GreyBecomesBgrWithEqualChannels) {
  cv::Mat image(4, 6, CV_8UC1, cv::Scalar(77)), scratch;
  ASSERT_TRUE(EnsureBgr8(image, scratch, "x").ok());
  EXPECT_EQ(image.type(), CV_8UC3);
  EXPECT_EQ(image.at<cv::Vec3b>(2, 3), cv::Vec3b(77, 77, 77));
}

TEST(FrameSourceTest, SixteenBitBgraIsScaledToEightBitBgr) {
  cv::Mat image(2, 2, CV_16UC4, cv::Scalar(65535, 0, 257 * 100, 65535)), scratch;
  ASSERT_TRUE(EnsureBgr8(image, scratch, "x").ok());
  EXPECT_EQ(image.type(), CV_8UC3);
  EXPECT_EQ(image.at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 100));
}

TEST(FrameSourceTest, EmptyOrTwoChannelImagesAreRejectedNamingTheSource) {
  cv::Mat empty, scratch;
  Status s = EnsureBgr8(empty, scratch, "camera:/dev/video0");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("camera:/dev/video0"), std::string::npos);
  cv::Mat two(2, 2, CV_8UC2);
  EXPECT_EQ(EnsureBgr8(two, scratch, "x").code(), StatusCode::kInvalidArgument);
}

TEST(FrameSourceTest, StampFrameFillsSequenceTimesAndName) {
  FakeClock clock(1000);
  clock.Advance(std::chrono::milliseconds(5));
  Frame f;
  StampFrame(f, 7, clock, "synthetic");
  EXPECT_EQ(f.seq, 7);
  EXPECT_EQ(f.captured_at, clock.Now());
  EXPECT_EQ(clock.WallMillisAt(f.captured_at), 1005);
  EXPECT_EQ(f.source_name, "synthetic");
}

}  // namespace
}  // namespace rvm
