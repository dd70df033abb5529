#include "deposit/item_tracker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace rvm {
namespace {

using std::chrono::milliseconds;

constexpr int kBottle = 39;
constexpr int kCup = 41;

Detection Det(int class_id, float score, float x1, float y1, float x2, float y2) {
  return {class_id, score, {x1, y1, x2, y2}};
}

// A bottle-sized box at horizontal offset `x`.
Detection At(float x, int class_id = kBottle, float score = 0.8f) {
  return Det(class_id, score, x, 100, x + 100, 300);
}

// Drives a tracker with one scripted frame per call, 100 ms apart, and
// collects everything it finishes.
class Script {
 public:
  explicit Script(TrackerConfig config = DefaultConfig()) : tracker_(config) {}

  static TrackerConfig DefaultConfig() {
    TrackerConfig c;
    c.iou_match_threshold = 0.3;
    c.max_missed_frames = 2;
    c.min_frames_to_decide = 3;
    c.settle_frames = 10;
    return c;
  }

  // Returns what this frame finished.
  std::vector<TrackedItem> Frame(const Detections& dets) {
    ++frame_;
    std::vector<TrackedItem> out = tracker_.Update(Time(frame_), dets);
    finished_.insert(finished_.end(), out.begin(), out.end());
    return out;
  }
  void Frames(int n, const Detections& dets) {
    for (int i = 0; i < n; ++i) Frame(dets);
  }
  void Empty(int n) { Frames(n, {}); }

  static FrameTime Time(int frame) { return FrameTime(milliseconds(100 * frame)); }

  ItemTracker& tracker() { return tracker_; }
  const std::vector<TrackedItem>& finished() const { return finished_; }
  int frame() const { return frame_; }

 private:
  ItemTracker tracker_;
  int frame_ = 0;
  std::vector<TrackedItem> finished_;
};

TEST(ItemTrackerTest, AnItemThatPassesThroughIsDecidedOnceWhenItLeaves) {
  Script s;
  s.Frames(5, {At(200)});
  s.Empty(2);  // still possibly occluded
  EXPECT_TRUE(s.finished().empty());
  const auto out = s.Frame({});  // third missed frame: gone
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reason, FinishReason::kLeft);
  EXPECT_EQ(out[0].frames_seen, 5);
  EXPECT_EQ(out[0].fused.class_id, kBottle);
  EXPECT_NEAR(out[0].fused.confidence, 0.8, 1e-6);
  EXPECT_EQ(out[0].first_seen, Script::Time(1));
  EXPECT_EQ(out[0].last_seen, Script::Time(5));
  EXPECT_EQ(out[0].finished_at, Script::Time(8));
  EXPECT_FALSE(out[0].multiple_items);
  s.Empty(10);
  EXPECT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.tracker().active_items(), 0u);
}

TEST(ItemTrackerTest, AJitteringBoxStaysOneItem) {
  Script s;
  const float jitter[] = {0, 9, -7, 12, -10, 4, -12, 8};
  for (float dx : jitter) {
    s.Frame({Det(kBottle, 0.7f, 200 + dx, 100 - dx / 2, 300 + dx * 0.8f, 300 + dx)});
  }
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.finished()[0].frames_seen, 8);
  EXPECT_EQ(s.tracker().stats().items_started, 1u);
}

TEST(ItemTrackerTest, ABriefOcclusionDoesNotSplitTheItem) {
  Script s;
  s.Frames(4, {At(200)});
  s.Empty(2);  // a hand passes in front: exactly max_missed_frames
  s.Frames(4, {At(205)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.finished()[0].frames_seen, 8);
}

TEST(ItemTrackerTest, APartlyHiddenItemWhoseBoxShrinksStaysOneItem) {
  Script s;
  s.Frames(3, {At(200)});
  // A hand covers the lower three quarters: IoU with the full box is 0.25.
  s.Frames(3, {Det(kBottle, 0.6f, 200, 100, 300, 150)});
  s.Frames(3, {At(200)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.finished()[0].frames_seen, 9);
}

TEST(ItemTrackerTest, AnAbsenceLongerThanTheOcclusionLimitMakesTwoItems) {
  Script s;
  s.Frames(4, {At(200)});
  s.Empty(3);  // one frame more than max_missed_frames
  s.Frames(4, {At(200)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_NE(s.finished()[0].track_id, s.finished()[1].track_id);
}

TEST(ItemTrackerTest, ClassFlickerMakesOneItemOfTheMajorityClass) {
  Script s;
  const int classes[] = {kBottle, kCup, kBottle, kBottle, kCup, kBottle, kBottle};
  for (int c : classes) s.Frame({At(200, c, 0.6f)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.finished()[0].fused.class_id, kBottle);
  EXPECT_EQ(s.finished()[0].fused.distinct_classes, 2);
  EXPECT_NEAR(s.finished()[0].fused.confidence, 0.6 * 5 / 7, 1e-6);
}

TEST(ItemTrackerTest, TwoItemsInsertedOneAfterTheOtherMakeTwoItems) {
  Script s;
  s.Frames(5, {At(200)});
  s.Empty(4);
  s.Frames(6, {At(200, kCup)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_EQ(s.finished()[0].fused.class_id, kBottle);
  EXPECT_EQ(s.finished()[1].fused.class_id, kCup);
  EXPECT_FALSE(s.finished()[0].multiple_items);
  EXPECT_FALSE(s.finished()[1].multiple_items);
}

TEST(ItemTrackerTest, ANewItemElsewhereWhileThePreviousOneLeavesIsNotMultiple) {
  Script s;
  s.Frames(5, {At(50)});
  s.Frames(6, {At(400)});  // the first is gone from view as the second arrives
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_FALSE(s.finished()[0].multiple_items);
  EXPECT_FALSE(s.finished()[1].multiple_items);
}

TEST(ItemTrackerTest, AWeakBoxBesideAnItemDoesNotMakeItMultiple) {
  Script s;  // default multiple_items_min_score 0.5
  s.Frames(5, {At(50), At(400, kCup, 0.3f)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);  // the weak one is still an item of its own, decided on its own
  EXPECT_FALSE(s.finished()[0].multiple_items);
  EXPECT_FALSE(s.finished()[1].multiple_items);
  EXPECT_NEAR(s.finished()[1].fused.confidence, 0.3, 1e-6);
}

TEST(ItemTrackerTest, TheScoreASecondItemNeedsIsConfigurable) {
  TrackerConfig c = Script::DefaultConfig();
  c.multiple_items_min_score = 0.25;
  Script s(c);
  s.Frames(5, {At(50), At(400, kCup, 0.3f)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_TRUE(s.finished()[0].multiple_items);
  EXPECT_TRUE(s.finished()[1].multiple_items);
}

TEST(ItemTrackerTest, ASecondItemCountsOnceItIsSeenConfidently) {
  Script s;
  s.Frames(4, {At(50), At(400, kCup, 0.3f)});
  s.Frames(2, {At(50), At(400, kCup, 0.7f)});  // the second comes into full view
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_TRUE(s.finished()[0].multiple_items);
  EXPECT_TRUE(s.finished()[1].multiple_items);
}

TEST(ItemTrackerTest, TwoItemsAtOnceAreTwoItemsBothMarkedMultiple) {
  Script s;
  s.Frames(5, {At(50), At(400, kCup)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_TRUE(s.finished()[0].multiple_items);
  EXPECT_TRUE(s.finished()[1].multiple_items);
  EXPECT_EQ(s.finished()[0].fused.class_id, kBottle);
  EXPECT_EQ(s.finished()[1].fused.class_id, kCup);
}

TEST(ItemTrackerTest, AnItemSeenTooFewFramesIsNoiseAndNeverDecided) {
  Script s;
  s.Frames(2, {At(200)});
  s.Empty(5);
  EXPECT_TRUE(s.finished().empty());
  EXPECT_EQ(s.tracker().stats().noise_dropped, 1u);
  EXPECT_EQ(s.tracker().active_items(), 0u);
}

TEST(ItemTrackerTest, NoiseBesideARealItemDoesNotMakeItMultiple) {
  Script s;
  s.Frames(2, {At(200)});
  s.Frame({At(200), At(450)});  // a one-frame false positive
  s.Frames(3, {At(200)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_FALSE(s.finished()[0].multiple_items);
  EXPECT_EQ(s.tracker().stats().noise_dropped, 1u);
}

TEST(ItemTrackerTest, AnItemThatStaysIsDecidedOnceWhenItSettles) {
  Script s;
  s.Frames(9, {At(200)});
  EXPECT_TRUE(s.finished().empty());
  const auto out = s.Frame({At(200)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reason, FinishReason::kSettled);
  EXPECT_EQ(out[0].frames_seen, 10);
  s.Frames(40, {At(200)});  // still lying there
  s.Empty(5);
  EXPECT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.tracker().active_items(), 0u);
}

TEST(ItemTrackerTest, ADecidedItemStillInViewDoesNotSpoilTheNextItem) {
  Script s;
  s.Frames(10, {At(50)});  // settles and is decided
  ASSERT_EQ(s.finished().size(), 1u);
  s.Frames(5, {At(50), At(400, kCup)});
  s.Frames(3, {At(50)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 2u);
  EXPECT_EQ(s.finished()[1].fused.class_id, kCup);
  EXPECT_FALSE(s.finished()[1].multiple_items);
}

TEST(ItemTrackerTest, ASecondDetectionOfTheSameObjectIsADuplicateNotAnItem) {
  Script s;
  for (int i = 0; i < 5; ++i) {
    // The whole bottle, plus a box on its cap and an overlapping second class.
    s.Frame({At(200, kBottle, 0.8f), Det(kCup, 0.4f, 230, 100, 270, 140),
             Det(kCup, 0.5f, 210, 110, 310, 300)});
  }
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_FALSE(s.finished()[0].multiple_items);
  EXPECT_EQ(s.tracker().stats().duplicates_dropped, 10u);
}

TEST(ItemTrackerTest, TheBestDetectionAndItsFrameAreKept) {
  Script s;
  const float scores[] = {0.5f, 0.7f, 0.95f, 0.6f};
  for (float score : scores) s.Frame({At(200, kBottle, score)});
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_FLOAT_EQ(s.finished()[0].best.score, 0.95f);
  EXPECT_EQ(s.finished()[0].best_frame_time, Script::Time(3));
}

TEST(ItemTrackerTest, AMovingItemIsFollowedAcrossTheView) {
  Script s;
  for (int i = 0; i < 12; ++i) s.Frame({At(20.0f + 30.0f * i)});  // IoU ~0.54 frame to frame
  s.Empty(3);
  ASSERT_EQ(s.finished().size(), 1u);
  EXPECT_EQ(s.finished()[0].reason, FinishReason::kSettled);
}

TEST(ItemTrackerTest, FlushFinishesUndecidedItemsAndDropsNoise) {
  Script s;
  s.Frames(2, {At(400)});
  s.Frames(2, {At(50), At(400)});
  const std::vector<TrackedItem> out = s.tracker().Flush();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].reason, FinishReason::kFlushed);
  EXPECT_EQ(out[0].frames_seen, 4);
  EXPECT_EQ(s.tracker().stats().noise_dropped, 1u);
  EXPECT_EQ(s.tracker().active_items(), 0u);
}

// A restart: the first tracker's items still in view (one settled earlier,
// one decided by the flush) are followed by the second tracker as decided.
// They are not decided again while they stay; noise is not handed over; an
// item put in after they left is new.
TEST(ItemTrackerTest, ItemsDecidedBeforeARestartAreNotDecidedAgainAfterIt) {
  Script before;
  before.Frames(10, {At(50)});  // settles and is decided
  before.Frames(4, {At(50), At(400, kCup)});
  before.Frame({At(50), At(400, kCup), At(700)});  // the last: seen once, noise
  std::vector<Box> in_view;
  const std::vector<TrackedItem> flushed = before.tracker().Flush(&in_view);
  ASSERT_EQ(flushed.size(), 1u);
  EXPECT_EQ(flushed[0].fused.class_id, kCup);
  ASSERT_EQ(in_view.size(), 2u);
  EXPECT_FLOAT_EQ(in_view[0].x1, 50);
  EXPECT_FLOAT_EQ(in_view[1].x1, 400);

  Script after;
  after.tracker().FollowDecided(in_view);
  EXPECT_EQ(after.tracker().active_items(), 2u);
  after.Frames(30, {At(55), At(405, kCup), At(700)});  // the two stay; the third is new
  ASSERT_EQ(after.finished().size(), 1u);
  EXPECT_FLOAT_EQ(after.finished()[0].best.box.x1, 700);
  EXPECT_FALSE(after.finished()[0].multiple_items);
  after.Empty(3);  // all leave
  EXPECT_EQ(after.tracker().active_items(), 0u);
  after.Frames(10, {At(50)});  // a new item where the first one was
  ASSERT_EQ(after.finished().size(), 2u);
  EXPECT_EQ(after.finished()[1].reason, FinishReason::kSettled);
  EXPECT_EQ(after.tracker().stats().items_started, 2u);
}

// Handed-over items that never show again leave like any decided item.
TEST(ItemTrackerTest, HandedOverItemsThatAreGoneLeaveWithoutADecision) {
  Script s;
  s.tracker().FollowDecided({At(50).box});
  s.Empty(3);
  EXPECT_EQ(s.tracker().active_items(), 0u);
  EXPECT_TRUE(s.finished().empty());
  std::vector<Box> in_view;
  EXPECT_TRUE(s.tracker().Flush(&in_view).empty());
  EXPECT_TRUE(in_view.empty());
}

TEST(ItemTrackerTest, ZeroMissedFramesAllowedEndsAnItemAtItsFirstGap) {
  TrackerConfig c = Script::DefaultConfig();
  c.max_missed_frames = 0;
  Script s(c);
  s.Frames(3, {At(200)});
  const auto out = s.Frame({});
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace rvm
