#include "app/recent_activity.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

namespace rvm::app {
namespace {

using std::chrono::milliseconds;

const std::vector<std::string> kLabels = {"bottle", "can"};

Frame FrameOf(uint8_t grey, int width = 64, int height = 48) {
  Frame f;
  f.image = cv::Mat(height, width, CV_8UC3, cv::Scalar(grey, grey, grey));
  return f;
}

cv::Mat Decode(const std::string& jpeg) {
  return cv::imdecode(std::vector<uint8_t>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
}

std::string Jpeg(int width, int height) {
  std::vector<uint8_t> out;
  cv::imencode(".jpg", cv::Mat(height, width, CV_8UC3, cv::Scalar(0, 128, 255)), out);
  return std::string(out.begin(), out.end());
}

Decision DecisionNamed(const std::string& id, std::string jpeg = "") {
  Decision d;
  d.item_id = id;
  d.best_frame_jpeg = std::move(jpeg);
  return d;
}

class RecentActivityTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  RecentActivity activity_{{.snapshot_period = milliseconds(500), .recent_decisions = 3},
                           kLabels,
                           clock_};
};

TEST_F(RecentActivityTest, NoSnapshotBeforeTheFirstDetectedFrame) {
  EXPECT_TRUE(activity_.SnapshotJpeg().empty());
  EXPECT_TRUE(activity_.RecentDecisions(10).empty());
}

TEST_F(RecentActivityTest, TheSnapshotIsTheLatestFrameKeptAtMostOncePerPeriod) {
  activity_.OnFrameDetected(FrameOf(10), {});
  clock_.Advance(milliseconds(100));
  activity_.OnFrameDetected(FrameOf(200), {});  // within the period: not copied
  cv::Mat shown = Decode(activity_.SnapshotJpeg());
  ASSERT_FALSE(shown.empty());
  EXPECT_LT(shown.at<cv::Vec3b>(24, 32)[0], 40);
  clock_.Advance(milliseconds(400));
  activity_.OnFrameDetected(FrameOf(200), {});
  shown = Decode(activity_.SnapshotJpeg());
  EXPECT_GT(shown.at<cv::Vec3b>(24, 32)[0], 170);
}

TEST_F(RecentActivityTest, TheSnapshotShowsTheFramesBoxes) {
  activity_.OnFrameDetected(FrameOf(128, 320, 240), {{0, 0.9f, {40, 40, 280, 200}}});
  const cv::Mat shown = Decode(activity_.SnapshotJpeg());
  ASSERT_EQ(shown.size(), cv::Size(320, 240));
  // The box's edge is drawn over the flat grey frame.
  const cv::Vec3b edge = shown.at<cv::Vec3b>(120, 40);
  EXPECT_GT(std::abs(edge[0] - 128) + std::abs(edge[1] - 128) + std::abs(edge[2] - 128), 60);
}

TEST_F(RecentActivityTest, KeepsTheNewestDecisionsNewestFirstWithSmallThumbnails) {
  activity_.OnDecision(DecisionNamed("a"));
  activity_.OnDecision(DecisionNamed("b", Jpeg(640, 480)));
  activity_.OnDecision(DecisionNamed("c"));
  activity_.OnDecision(DecisionNamed("d"));
  const std::vector<ops::RecentDecision> recent = activity_.RecentDecisions(10);
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].decision.item_id, "d");
  EXPECT_EQ(recent[2].decision.item_id, "b");
  EXPECT_TRUE(recent[2].decision.best_frame_jpeg.empty()) << "the full frame is not kept";
  const cv::Mat thumb = Decode(recent[2].thumbnail_jpeg);
  ASSERT_FALSE(thumb.empty());
  EXPECT_LE(thumb.cols, 160);
  EXPECT_TRUE(recent[0].thumbnail_jpeg.empty()) << "no frame, no thumbnail";
  EXPECT_EQ(activity_.RecentDecisions(1).size(), 1u);
}

}  // namespace
}  // namespace rvm::app
