#include "eval/still_decision.h"

#include <gtest/gtest.h>

namespace rvm::eval {
namespace {

class StillDecisionTest : public ::testing::Test {
 protected:
  StillDecisionTest()
      : labels_(LabelMap::Create({"person", "bottle", "cup", "car"}, policy_).value()) {}
  PolicyConfig policy_;
  TrackerConfig tracker_;
  LabelMap labels_;
};

TEST_F(StillDecisionTest, OneConfidentBottleIsAcceptedAsPet) {
  const StillDecision d =
      DecideStill({{1, 0.8f, Box{10, 10, 60, 200}}}, labels_, tracker_, policy_);
  EXPECT_EQ(d.items, 1);
  ASSERT_TRUE(d.verdict);
  EXPECT_TRUE(d.verdict->accepted);
  EXPECT_EQ(d.verdict->material, Material::kPet);
  EXPECT_NEAR(d.verdict->confidence, 0.8, 1e-6);  // the score, fused over identical frames
}

TEST_F(StillDecisionTest, AScoreBelowTheMaterialsThresholdIsRejectedAsLowConfidence) {
  const StillDecision d =
      DecideStill({{2, 0.4f, Box{10, 10, 60, 100}}}, labels_, tracker_, policy_);
  ASSERT_TRUE(d.verdict);
  EXPECT_FALSE(d.verdict->accepted);
  EXPECT_EQ(d.verdict->reason, RejectReason::kLowConfidence);
  EXPECT_EQ(d.verdict->material, Material::kAluminium);
}

TEST_F(StillDecisionTest, TwoObjectsAreRejectedAsMultipleItems) {
  const StillDecision d =
      DecideStill({{1, 0.9f, Box{10, 10, 60, 200}}, {2, 0.8f, Box{300, 10, 360, 100}}}, labels_,
                  tracker_, policy_);
  EXPECT_EQ(d.items, 2);
  ASSERT_TRUE(d.verdict);
  EXPECT_FALSE(d.verdict->accepted);
  EXPECT_EQ(d.verdict->reason, RejectReason::kMultipleItems);
}

TEST_F(StillDecisionTest, TheHandIsIgnoredAsInTheService) {
  const StillDecision d =
      DecideStill({{0, 0.95f, Box{0, 0, 300, 300}}, {1, 0.7f, Box{400, 10, 460, 200}}}, labels_,
                  tracker_, policy_);
  EXPECT_EQ(d.items, 1);
  ASSERT_TRUE(d.verdict);
  EXPECT_TRUE(d.verdict->accepted);
}

TEST_F(StillDecisionTest, NothingDetectedGivesNoVerdict) {
  const StillDecision d = DecideStill({}, labels_, tracker_, policy_);
  EXPECT_EQ(d.items, 0);
  EXPECT_FALSE(d.verdict);
}

TEST_F(StillDecisionTest, AnUnmappedLabelIsAnUnknownItem) {
  const StillDecision d =
      DecideStill({{3, 0.9f, Box{10, 10, 200, 100}}}, labels_, tracker_, policy_);
  ASSERT_TRUE(d.verdict);
  EXPECT_EQ(d.verdict->reason, RejectReason::kUnknownItem);
}

}  // namespace
}  // namespace rvm::eval
