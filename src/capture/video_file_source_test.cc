#include "capture/video_file_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "capture/mat_allocation_counter.h"

namespace rvm {
namespace {

const std::string kVideo =
    std::string(RVM_SHARED_DIR) + "/video/bottling_line_conveyor_bottles.mp4";
constexpr int kVideoFrames = 213;  // the file's frame count, 596x336 at 25 fps

TEST(VideoFileSourceTest, ReadsEveryFrameThenEndsTheStream) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo}, clock);
  ASSERT_TRUE(source.Open().ok());
  EXPECT_DOUBLE_EQ(source.fps(), 25.0);
  Frame frame;
  int n = 0;
  Status s;
  while ((s = source.Read(frame)).ok()) {
    ASSERT_EQ(frame.seq, n);
    ++n;
  }
  EXPECT_TRUE(IsEndOfStream(s)) << s.ToString();
  EXPECT_EQ(n, kVideoFrames);
  EXPECT_EQ(frame.source_name, "video:bottling_line_conveyor_bottles.mp4");
}

TEST(VideoFileSourceTest, ReopeningAfterTheEndReplaysFromTheFirstFrame) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo}, clock);
  ASSERT_TRUE(source.Open().ok());
  Frame first;
  ASSERT_TRUE(source.Read(first).ok());
  const cv::Mat first_pixels = first.image.clone();
  Frame frame;
  while (source.Read(frame).ok()) {
  }
  source.Close();
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.seq, 0);
  EXPECT_EQ(cv::norm(frame.image, first_pixels, cv::NORM_INF), 0) << "not the first frame";
}

TEST(VideoFileSourceTest, FramesAreBgr8AtTheFilesSizeInAReusedBuffer) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo}, clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  ASSERT_TRUE(source.Read(frame).ok());
  const uchar* data = frame.image.data;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.image.type(), CV_8UC3);
  EXPECT_EQ(frame.image.size(), cv::Size(596, 336));
  EXPECT_EQ(frame.image.data, data);
}

TEST(VideoFileSourceTest, SteadyStatePlaybackAllocatesNoImageBuffers) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo}, clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(source.Read(frame).ok());
  MatAllocationCounter counter;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(counter.TakeCount(), 0);
}

TEST(VideoFileSourceTest, LoopingStartsAgainAndKeepsCountingSequence) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo, .loop = true}, clock);
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  cv::Mat first;
  ASSERT_TRUE(source.Read(frame).ok());
  frame.image.copyTo(first);
  for (int i = 1; i < kVideoFrames; ++i) ASSERT_TRUE(source.Read(frame).ok());
  ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.seq, kVideoFrames);
  EXPECT_EQ(source.loops(), 1);
  EXPECT_EQ(cv::norm(frame.image, first, cv::NORM_INF), 0.0) << "wrapped to the first frame";
}

TEST(VideoFileSourceTest, PacedPlaybackRunsAtTheFilesFrameRate) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo, .pace = true}, clock, FakeSleep(clock));
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  ASSERT_TRUE(source.Read(frame).ok());
  auto start = frame.captured_at;
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(source.Read(frame).ok());
  EXPECT_EQ(frame.captured_at - start, std::chrono::seconds(1));
}

TEST(VideoFileSourceTest, SlowReaderOfAPacedVideoSkipsToTheCurrentFrame) {
  FakeClock clock;
  VideoFileSource paced({.path = kVideo, .pace = true}, clock, FakeSleep(clock));
  ASSERT_TRUE(paced.Open().ok());
  Frame frame;
  ASSERT_TRUE(paced.Read(frame).ok());  // file frame 0 at t = 0
  clock.Advance(std::chrono::seconds(2));
  ASSERT_TRUE(paced.Read(frame).ok());  // t = 2 s: file frame 50
  EXPECT_EQ(frame.seq, 1) << "sequence counts delivered frames";

  FakeClock other;
  VideoFileSource every({.path = kVideo}, other);
  ASSERT_TRUE(every.Open().ok());
  Frame expected;
  for (int i = 0; i <= 50; ++i) ASSERT_TRUE(every.Read(expected).ok());
  EXPECT_EQ(cv::norm(frame.image, expected.image, cv::NORM_INF), 0.0);
}

TEST(VideoFileSourceTest, PacedLoopingVideoKeepsRunningPastItsEnd) {
  FakeClock clock;
  VideoFileSource source({.path = kVideo, .loop = true, .pace = true}, clock, FakeSleep(clock));
  ASSERT_TRUE(source.Open().ok());
  Frame frame;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(source.Read(frame).ok());
    clock.Advance(std::chrono::seconds(3));  // 75 frames per read; the file has 213
  }
  EXPECT_GE(source.loops(), 3);
}

TEST(VideoFileSourceTest, MissingFileIsNotFoundNamingThePath) {
  FakeClock clock;
  VideoFileSource source({.path = "no/such/clip.mp4"}, clock);
  Status s = source.Open();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("no/such/clip.mp4"), std::string::npos);
}

TEST(VideoFileSourceTest, FileThatIsNotAVideoIsRejectedAsFatal) {
  auto path = std::filesystem::temp_directory_path() /
              ("rvm_not_a_video_" + std::to_string(::getpid()) + ".mp4");
  std::ofstream(path) << "this is not a video";
  FakeClock clock;
  VideoFileSource source({.path = path.string()}, clock);
  Status s = source.Open();
  std::filesystem::remove(path);
  EXPECT_TRUE(IsFatal(s)) << s.ToString();
  EXPECT_NE(s.message().find(path.string()), std::string::npos);
}

TEST(VideoFileSourceTest, AFileWithNoDecodableVideoStreamIsRejectedAtOpen) {
  // An AVI whose one stream has no frames and a frame size of 0x0 in its
  // headers: FFmpeg opens it, with nothing to decode.
  const auto path = std::filesystem::temp_directory_path() /
                    ("rvm_no_stream_" + std::to_string(::getpid()) + ".avi");
  {
    cv::VideoWriter writer(path.string(), cv::CAP_OPENCV_MJPEG,
                           cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25, cv::Size(64, 48));
    ASSERT_TRUE(writer.isOpened());
  }
  std::string avi;
  {
    std::ifstream in(path, std::ios::binary);
    avi.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const size_t avih = avi.find("avih");  // dwWidth, dwHeight at 32..39 of its data
  const size_t strf = avi.find("strf");  // BITMAPINFOHEADER: biWidth, biHeight at 4..11
  ASSERT_NE(avih, std::string::npos);
  ASSERT_NE(strf, std::string::npos);
  avi.replace(avih + 8 + 32, 8, 8, '\0');
  avi.replace(strf + 8 + 4, 8, 8, '\0');
  std::ofstream(path, std::ios::binary | std::ios::trunc) << avi;
  FakeClock clock;
  VideoFileSource source({.path = path.string()}, clock);
  Status s = source.Open();
  std::filesystem::remove(path);
  EXPECT_TRUE(IsFatal(s)) << s.ToString();
  EXPECT_EQ(s.message(), "video '" + path.string() + "': no decodable video stream");
}

}  // namespace
}  // namespace rvm
