#include "capture/gstreamer_source.h"

#include <gtest/gtest.h>

#include <opencv2/videoio/registry.hpp>

namespace rvm {
namespace {

bool HaveGStreamer() { return cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER); }

TEST(GStreamerSourceTest, PipelineMustEndInAppsink) {
  EXPECT_TRUE(EndsInAppsink("videotestsrc ! appsink"));
  EXPECT_TRUE(EndsInAppsink("a ! b ! appsink drop=true max-buffers=1 "));
  EXPECT_TRUE(EndsInAppsink("appsink"));
  EXPECT_FALSE(EndsInAppsink("videotestsrc ! autovideosink"));
  EXPECT_FALSE(EndsInAppsink("videotestsrc ! appsinkx"));
  EXPECT_FALSE(EndsInAppsink("appsink ! videoconvert"));
}

TEST(GStreamerSourceTest, PipelineWithoutAppsinkIsRejectedNamingThePipeline) {
  FakeClock clock;
  GStreamerSource source("videotestsrc ! fakesink", clock);
  Status s = source.Open();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("videotestsrc ! fakesink"), std::string::npos);
  EXPECT_NE(s.message().find("appsink"), std::string::npos);
}

TEST(GStreamerSourceTest, EmptyPipelineIsRejected) {
  FakeClock clock;
  GStreamerSource source("  ", clock);
  EXPECT_EQ(source.Open().code(), StatusCode::kInvalidArgument);
}

TEST(GStreamerSourceTest, ReadsATestPatternThenEndsTheStream) {
  if (!HaveGStreamer()) GTEST_SKIP() << "OpenCV built without GStreamer";
  FakeClock clock;
  GStreamerSource source(
      "videotestsrc num-buffers=5 ! video/x-raw,width=160,height=120 ! videoconvert ! "
      "video/x-raw,format=BGR ! appsink",
      clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  int n = 0;
  Status s;
  while ((s = source.Read(frame)).ok()) {
    EXPECT_EQ(frame.seq, n++);
    EXPECT_EQ(frame.image.size(), cv::Size(160, 120));
    EXPECT_EQ(frame.image.type(), CV_8UC3);
  }
  EXPECT_EQ(n, 5);
  EXPECT_TRUE(IsEndOfStream(s)) << s.ToString();
  EXPECT_EQ(frame.source_name, "gstreamer:videotestsrc");
}

TEST(GStreamerSourceTest, PipelineThatCannotStartIsTemporaryAndNamesThePipeline) {
  if (!HaveGStreamer()) GTEST_SKIP() << "OpenCV built without GStreamer";
  FakeClock clock;
  GStreamerSource source("nosuchcamerasrc ! appsink", clock);
  Status s = source.Open();
  EXPECT_TRUE(IsTemporary(s)) << s.ToString();
  EXPECT_NE(s.message().find("nosuchcamerasrc"), std::string::npos);
}

TEST(GStreamerSourceTest, WithoutGStreamerSupportOpenIsUnsupported) {
  if (HaveGStreamer()) GTEST_SKIP() << "this OpenCV has GStreamer; the error path cannot occur";
  FakeClock clock;
  GStreamerSource source("videotestsrc ! appsink", clock);
  EXPECT_EQ(source.Open().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace rvm
