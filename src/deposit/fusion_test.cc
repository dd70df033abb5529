#include "deposit/fusion.h"

#include <gtest/gtest.h>

#include <vector>

namespace rvm {
namespace {

TEST(FusionTest, AConsistentItemFusesToItsClassWithTheMeanScore) {
  const std::vector<ClassVote> votes = {{39, 0.8f}, {39, 0.6f}, {39, 0.7f}};
  const auto fused = FuseVotes(votes, 3);
  ASSERT_TRUE(fused.has_value());
  EXPECT_EQ(fused->class_id, 39);
  EXPECT_NEAR(fused->confidence, 0.7, 1e-6);
  EXPECT_NEAR(fused->vote_share, 1.0, 1e-6);
  EXPECT_EQ(fused->frames, 3);
  EXPECT_EQ(fused->distinct_classes, 1);
}

TEST(FusionTest, FewerVotesThanTheMinimumFuseToNothing) {
  const std::vector<ClassVote> votes = {{39, 0.99f}, {39, 0.99f}};
  EXPECT_FALSE(FuseVotes(votes, 3).has_value());
  EXPECT_FALSE(FuseVotes({}, 0).has_value());
}

TEST(FusionTest, FlickerIsOutvotedByConfidenceWeight) {
  // Three "cup" frames at 0.3 lose to two confident "bottle" frames at 0.9.
  const std::vector<ClassVote> votes = {{41, 0.3f}, {39, 0.9f}, {41, 0.3f}, {39, 0.9f}, {41, 0.3f}};
  const auto fused = FuseVotes(votes, 3);
  ASSERT_TRUE(fused.has_value());
  EXPECT_EQ(fused->class_id, 39);
  EXPECT_NEAR(fused->confidence, 1.8 / 5, 1e-6);
  EXPECT_NEAR(fused->vote_share, 1.8 / 2.7, 1e-6);
  EXPECT_EQ(fused->distinct_classes, 2);
}

TEST(FusionTest, FlickerLowersTheFusedConfidence) {
  const std::vector<ClassVote> steady = {{39, 0.8f}, {39, 0.8f}, {39, 0.8f}, {39, 0.8f}};
  const std::vector<ClassVote> flicker = {{39, 0.8f}, {41, 0.8f}, {39, 0.8f}, {39, 0.8f}};
  EXPECT_GT(FuseVotes(steady, 3)->confidence, FuseVotes(flicker, 3)->confidence);
  EXPECT_EQ(FuseVotes(flicker, 3)->class_id, 39);
}

TEST(FusionTest, TiesDoNotDependOnVoteOrder) {
  const std::vector<ClassVote> a = {{41, 0.5f}, {39, 0.5f}, {41, 0.25f}, {39, 0.25f}};
  const std::vector<ClassVote> b = {{39, 0.25f}, {41, 0.25f}, {39, 0.5f}, {41, 0.5f}};
  EXPECT_EQ(FuseVotes(a, 1), FuseVotes(b, 1));
  EXPECT_EQ(FuseVotes(a, 1)->class_id, 39);
  // Equal weight, more votes wins.
  const std::vector<ClassVote> c = {{41, 0.5f}, {39, 0.25f}, {39, 0.25f}};
  EXPECT_EQ(FuseVotes(c, 1)->class_id, 39);
}

}  // namespace
}  // namespace rvm
