#include "capture/image_dir_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/imgcodecs.hpp>

namespace rvm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

const std::string kMisc = std::string(RVM_SHARED_DIR) + "/images/misc";

class ImageDirSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rvm_image_dir_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a small PNG the way a well-behaved producer does: hidden name,
  // then rename into place.
  void WriteImage(const std::string& file, int grey, cv::Size size = {32, 24}) {
    cv::Mat m(size, CV_8UC3, cv::Scalar::all(grey));
    fs::path tmp = dir_ / ("." + file + ".tmp.png");
    ASSERT_TRUE(cv::imwrite(tmp.string(), m));
    fs::rename(tmp, dir_ / file);
  }
  void WriteBytes(const std::string& file, const std::string& bytes) {
    std::ofstream(dir_ / file, std::ios::binary) << bytes;
  }

  fs::path dir_;
  FakeClock clock_;
  Frame frame_;
};

TEST_F(ImageDirSourceTest, ReadsSharedImagesInNameOrderThenEnds) {
  ImageDirSource source({.path = kMisc}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  std::vector<std::string> order;
  Status s;
  while ((s = source.Read(frame_)).ok()) {
    order.push_back(source.last_file());
    EXPECT_EQ(frame_.image.type(), CV_8UC3);
    EXPECT_FALSE(frame_.image.empty());
  }
  EXPECT_TRUE(IsEndOfStream(s)) << s.ToString();
  EXPECT_EQ(order,
            (std::vector<std::string>{"bottle_panlinchao.jpg", "nanodet_bus.jpg", "nanodet_dog.jpg",
                                      "smartbin_bottle.jpg", "smartbin_glass501.jpg"}));
  EXPECT_EQ(frame_.seq, 4);
  EXPECT_EQ(source.skipped(), 0);
}

TEST_F(ImageDirSourceTest, UnreadableFilesAreSkippedAndReportedWithoutStopping) {
  WriteImage("a.png", 10);
  WriteBytes("b.jpg", "not a jpeg at all");
  WriteBytes("c.png", "");
  WriteImage("d.png", 40);
  WriteBytes("notes.txt", "ignored: not an image name");
  std::vector<std::string> reported;
  ImageDirSource source(
      {.path = dir_.string(), .on_skip = [&](const Status& s) { reported.push_back(s.message()); }},
      clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "a.png");
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "d.png");
  EXPECT_EQ(frame_.image.at<cv::Vec3b>(0, 0), cv::Vec3b(40, 40, 40));
  EXPECT_TRUE(IsEndOfStream(source.Read(frame_)));
  EXPECT_EQ(source.skipped(), 2);
  ASSERT_EQ(reported.size(), 2u);
  EXPECT_NE(reported[0].find("b.jpg"), std::string::npos) << reported[0];
  EXPECT_NE(reported[1].find("c.png"), std::string::npos) << reported[1];
  EXPECT_EQ(source.last_skip_error().code(), StatusCode::kInvalidArgument);
}

TEST_F(ImageDirSourceTest, AnImageAboveThePixelLimitIsSkippedNamingItsSize) {
  WriteImage("a.png", 10, {200, 100});
  WriteImage("b.png", 20, {100, 100});
  std::vector<std::string> reported;
  ImageDirSource source({.path = dir_.string(),
                         .max_pixels = 10'000,
                         .on_skip = [&](const Status& s) { reported.push_back(s.message()); }},
                        clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "b.png");
  EXPECT_TRUE(IsEndOfStream(source.Read(frame_)));
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_NE(reported[0].find("a.png': 200x100 is 20000 pixels, above the limit of 10000"),
            std::string::npos)
      << reported[0];
  EXPECT_EQ(source.last_skip_error().code(), StatusCode::kResourceExhausted);
}

TEST_F(ImageDirSourceTest, WatchModePicksUpNewFilesAsTheyAppear) {
  WriteImage("0001.png", 10);
  ImageDirSource source({.path = dir_.string(), .watch = true, .poll_interval = milliseconds(50)},
                        clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "0001.png");

  auto before = clock_.Now();
  Status none = source.Read(frame_);
  EXPECT_TRUE(IsTemporary(none)) << none.ToString();
  EXPECT_EQ(clock_.Now() - before, milliseconds(50)) << "waited one poll interval";

  WriteImage("0003.png", 30);
  WriteImage("0002.png", 20);
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "0002.png");
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "0003.png");
  EXPECT_EQ(frame_.seq, 2);
  EXPECT_TRUE(IsTemporary(source.Read(frame_)));
}

TEST_F(ImageDirSourceTest, WatchModeSkipsABadNewFileAndKeepsWatching) {
  ImageDirSource source({.path = dir_.string(), .watch = true}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  EXPECT_TRUE(IsTemporary(source.Read(frame_)));
  WriteBytes("0001.jpg", "garbage");
  EXPECT_TRUE(IsTemporary(source.Read(frame_)));
  EXPECT_EQ(source.skipped(), 1);
  WriteImage("0002.png", 20);
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "0002.png");
}

TEST_F(ImageDirSourceTest, ReopeningReplaysTheDirectoryFromItsFirstFile) {
  WriteImage("a.png", 10);
  WriteImage("b.png", 20);
  ImageDirSource source({.path = dir_.string()}, clock_, FakeSleep(clock_));
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE(source.Open().ok());
    ASSERT_TRUE(source.Read(frame_).ok());
    EXPECT_EQ(source.last_file(), "a.png") << "run " << run;
    EXPECT_EQ(frame_.seq, 0);
    ASSERT_TRUE(source.Read(frame_).ok());
    EXPECT_TRUE(IsEndOfStream(source.Read(frame_)));
    source.Close();
  }
}

TEST_F(ImageDirSourceTest, AReopenedWatchedDirectoryDeliversOnlyNewFiles) {
  WriteImage("0001.png", 10);
  ImageDirSource source({.path = dir_.string(), .watch = true}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  source.Close();
  WriteImage("0002.png", 20);
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.last_file(), "0002.png") << "0001.png was delivered before the reopen";
  EXPECT_EQ(frame_.seq, 0);
  EXPECT_TRUE(IsTemporary(source.Read(frame_)));
}

TEST_F(ImageDirSourceTest, LoopStartsOverAfterTheLastFile) {
  WriteImage("a.png", 10);
  WriteImage("b.png", 20);
  ImageDirSource source({.path = dir_.string(), .loop = true}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  std::vector<std::string> order;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(source.Read(frame_).ok());
    order.push_back(source.last_file());
  }
  EXPECT_EQ(order, (std::vector<std::string>{"a.png", "b.png", "a.png", "b.png", "a.png"}));
}

TEST_F(ImageDirSourceTest, LoopOverOnlyUnreadableFilesFailsInsteadOfSpinning) {
  WriteBytes("a.jpg", "garbage");
  ImageDirSource source({.path = dir_.string(), .loop = true}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  Status s = source.Read(frame_);
  EXPECT_TRUE(IsFatal(s)) << s.ToString();
  EXPECT_NE(s.message().find("no readable image"), std::string::npos);
}

TEST_F(ImageDirSourceTest, SameSizedImagesReuseTheFrameBuffer) {
  WriteImage("a.png", 10, {64, 48});
  WriteImage("b.png", 20, {64, 48});
  WriteImage("c.png", 30, {64, 48});
  ImageDirSource source({.path = dir_.string()}, clock_, FakeSleep(clock_));
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  const uchar* data = frame_.image.data;
  ASSERT_TRUE(source.Read(frame_).ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(frame_.image.data, data);
  EXPECT_EQ(frame_.image.at<cv::Vec3b>(0, 0), cv::Vec3b(30, 30, 30));
}

TEST_F(ImageDirSourceTest, MissingDirectoryIsNotFoundNamingIt) {
  ImageDirSource source({.path = (dir_ / "absent").string()}, clock_);
  Status s = source.Open();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("absent"), std::string::npos);
}

TEST_F(ImageDirSourceTest, AFileInsteadOfADirectoryIsRejected) {
  WriteBytes("plain.txt", "x");
  ImageDirSource source({.path = (dir_ / "plain.txt").string()}, clock_);
  EXPECT_EQ(source.Open().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rvm
