#include "capture/source_factory.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace rvm {
namespace {

TEST(SourceFactoryTest, ParsesEveryKindByNameAndRejectsOthersNamingTheKey) {
  for (const char* name : {"camera", "gstreamer", "video", "images", "synthetic"}) {
    auto kind = ParseSourceKind(name);
    ASSERT_TRUE(kind.ok()) << name;
    EXPECT_STREQ(SourceKindName(*kind), name);
  }
  auto bad = ParseSourceKind("webcam");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("capture.source"), std::string::npos);
  EXPECT_NE(bad.status().message().find("webcam"), std::string::npos);
}

TEST(SourceFactoryTest, VideoSourceReadsTheSharedClip) {
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kVideo;
  o.path = std::string(RVM_SHARED_DIR) + "/video/bottling_line_conveyor_bottles.mp4";
  o.pace = false;
  auto built = MakeFrameSource(o, clock, FakeSleep(clock));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  EXPECT_EQ(built->reconnecting, nullptr);
  ASSERT_TRUE(built->source->Open().ok());
  Frame frame;
  ASSERT_TRUE(built->source->Read(frame).ok());
  EXPECT_EQ(frame.image.size(), cv::Size(596, 336));
}

TEST(SourceFactoryTest, ImageSourceReadsTheSharedDirectory) {
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kImages;
  o.path = std::string(RVM_SHARED_DIR) + "/images/misc";
  auto built = MakeFrameSource(o, clock, FakeSleep(clock));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  ASSERT_TRUE(built->source->Open().ok());
  Frame frame;
  EXPECT_TRUE(built->source->Read(frame).ok());
}

TEST(SourceFactoryTest, AnImageSourceReportsEachSkippedFileThroughTheCallback) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rvm_source_factory_skip_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a_empty.jpg").close();
  std::filesystem::copy_file(std::string(RVM_SHARED_DIR) + "/images/misc/nanodet_dog.jpg",
                             dir / "b_dog.jpg");
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kImages;
  o.path = dir.string();
  std::vector<std::string> skipped;
  o.on_image_skipped = [&skipped](const Status& why) { skipped.push_back(why.message()); };
  auto built = MakeFrameSource(o, clock, FakeSleep(clock));
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  ASSERT_TRUE(built->source->Open().ok());
  Frame frame;
  Status read = built->source->Read(frame);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(read.ok()) << read.ToString();
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0], "image '" + (dir / "a_empty.jpg").string() + "': file is empty");
}

TEST(SourceFactoryTest, SyntheticSourceTakesSizeFromTheOptions) {
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kSynthetic;
  o.width = 200;
  o.height = 100;
  auto built = MakeFrameSource(o, clock, FakeSleep(clock));
  ASSERT_TRUE(built.ok());
  ASSERT_TRUE(built->source->Open().ok());
  Frame frame;
  ASSERT_TRUE(built->source->Read(frame).ok());
  EXPECT_EQ(frame.image.size(), cv::Size(200, 100));
}

TEST(SourceFactoryTest, MissingCameraIsWrappedToKeepReconnecting) {
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kCamera;
  o.device = "/dev/video98";
  auto built = MakeFrameSource(o, clock, FakeSleep(clock));
  ASSERT_TRUE(built.ok());
  ASSERT_NE(built->reconnecting, nullptr);
  EXPECT_TRUE(built->source->Open().ok()) << "an absent camera is not fatal at start";
  EXPECT_EQ(built->reconnecting->state(), SourceState::kReconnecting);
  EXPECT_NE(built->reconnecting->last_error().message().find("/dev/video98"), std::string::npos);
  Frame frame;
  EXPECT_TRUE(IsTemporary(built->source->Read(frame)));
  EXPECT_EQ(built->reconnecting->failed_attempts(), 1);
}

// A pipeline restart hands the items decided before it on only over a
// source that goes on; a replay starts over (FrameSource::
// StartsOverWhenReopened). Each kind says which it is, through the
// reconnecting wrapper too.
TEST(SourceFactoryTest, ReplaysStartOverWhenReopenedAndLiveSourcesGoOn) {
  FakeClock clock;
  auto starts_over = [&clock](CaptureOptions o) {
    auto built = MakeFrameSource(o, clock, FakeSleep(clock));
    EXPECT_TRUE(built.ok()) << built.status().ToString();
    return built.ok() && built->source->StartsOverWhenReopened();
  };
  CaptureOptions video;
  video.kind = SourceKind::kVideo;
  video.path = std::string(RVM_SHARED_DIR) + "/video/bottling_line_conveyor_bottles.mp4";
  EXPECT_TRUE(starts_over(video));
  CaptureOptions images;
  images.kind = SourceKind::kImages;
  images.path = std::string(RVM_SHARED_DIR) + "/images/misc";
  EXPECT_TRUE(starts_over(images));
  images.watch = true;
  EXPECT_FALSE(starts_over(images));
  CaptureOptions synthetic;
  synthetic.kind = SourceKind::kSynthetic;
  EXPECT_TRUE(starts_over(synthetic));
  CaptureOptions camera;
  camera.kind = SourceKind::kCamera;
  camera.device = "/dev/video98";
  EXPECT_FALSE(starts_over(camera));
}

TEST(SourceFactoryTest, InvalidOptionsNameTheKey) {
  FakeClock clock;
  CaptureOptions o;
  o.kind = SourceKind::kVideo;
  auto r = MakeFrameSource(o, clock);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("capture.path"), std::string::npos);

  o = {};
  o.kind = SourceKind::kGStreamer;
  o.pipeline = "videotestsrc ! autovideosink";
  EXPECT_NE(ValidateCaptureOptions(o).message().find("capture.uri"), std::string::npos);

  o = {};
  o.kind = SourceKind::kVideo;
  o.path = "x.mp4";
  o.watch = true;
  EXPECT_NE(ValidateCaptureOptions(o).message().find("capture.watch"), std::string::npos);

  o = {};
  o.fps = 0;
  EXPECT_NE(ValidateCaptureOptions(o).message().find("capture.fps"), std::string::npos);

  o = {};
  o.reconnect.max_backoff = std::chrono::milliseconds(1);
  EXPECT_NE(ValidateCaptureOptions(o).message().find("capture.reconnect: max_backoff"),
            std::string::npos);
}

}  // namespace
}  // namespace rvm
