#include "capture/gstreamer_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <opencv2/videoio/registry.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace rvm {
namespace {

bool HaveGStreamer() { return cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER); }

// Whether a GStreamer plugin library (e.g. "videotestsrc" for libgstvideotestsrc.so) is in one of
// the directories GStreamer searches: the GST_PLUGIN_* variables, then the system's plugin folder.
bool HavePlugin(const std::string& name) {
  std::vector<std::string> dirs;
  for (const char* var : {"GST_PLUGIN_PATH_1_0", "GST_PLUGIN_PATH", "GST_PLUGIN_SYSTEM_PATH_1_0",
                          "GST_PLUGIN_SYSTEM_PATH"}) {
    if (const char* v = std::getenv(var)) {
      std::stringstream list(v);
      for (std::string d; std::getline(list, d, ':');) dirs.push_back(d);
    }
  }
#if defined(__x86_64__)
  dirs.push_back("/usr/lib/x86_64-linux-gnu/gstreamer-1.0");
#elif defined(__aarch64__)
  dirs.push_back("/usr/lib/aarch64-linux-gnu/gstreamer-1.0");
#endif
  dirs.push_back("/usr/lib/gstreamer-1.0");
  dirs.push_back("/usr/local/lib/gstreamer-1.0");
  for (const std::string& d : dirs) {
    if (std::filesystem::exists(std::filesystem::path(d) / ("libgst" + name + ".so"))) return true;
  }
  return false;
}

// Why a test of a real GStreamer pipeline cannot run here, or "" when it can.
std::string WhyNoTestPipeline() {
  if (!HaveGStreamer()) return "OpenCV built without GStreamer";
  for (const char* plugin : {"videotestsrc", "videoconvertscale", "app"}) {
    if (!HavePlugin(plugin)) {
      return std::string("GStreamer plugin '") + plugin +
             "' is not installed (Debian gstreamer1.0-plugins-base; scripts/install-deps.sh installs it)";
    }
  }
  return "";
}

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
  if (const std::string why = WhyNoTestPipeline(); !why.empty()) GTEST_SKIP() << why;
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
