#include "deposit/decision_policy.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

constexpr int kBottle = 0, kCup = 1, kWineGlass = 2, kBicycle = 3, kCrisps = 4;

class DecisionPolicyTest : public ::testing::Test {
 protected:
  DecisionPolicyTest() {
    policy_.label_materials = {{"bottle", Material::kPet},
                               {"cup", Material::kAluminium},
                               {"wine glass", Material::kGlass},
                               {"crisps", Material::kOther}};
    policy_.accept_threshold = {{Material::kPet, 0.5},
                                {Material::kAluminium, 0.6},
                                {Material::kGlass, 0.7},
                                {Material::kOther, 1.0}};
    policy_.accepted_materials = {Material::kPet, Material::kAluminium};
  }

  Verdict DecideFor(int class_id, double confidence, bool multiple = false) {
    TrackedItem item;
    item.fused.class_id = class_id;
    item.fused.confidence = confidence;
    item.multiple_items = multiple;
    auto labels = LabelMap::Create({"bottle", "cup", "wine glass", "bicycle", "crisps"}, policy_);
    return Decide(item, *labels, policy_);
  }

  PolicyConfig policy_;
};

TEST_F(DecisionPolicyTest, AConfidentPetBottleIsAccepted) {
  const Verdict v = DecideFor(kBottle, 0.8);
  EXPECT_TRUE(v.accepted);
  EXPECT_EQ(v.reason, RejectReason::kNone);
  EXPECT_EQ(v.material, Material::kPet);
  EXPECT_EQ(v.label, "bottle");
  EXPECT_DOUBLE_EQ(v.threshold, 0.5);
}

TEST_F(DecisionPolicyTest, TheThresholdIsPerMaterialAndInclusive) {
  EXPECT_TRUE(DecideFor(kBottle, 0.5).accepted);
  const Verdict can = DecideFor(kCup, 0.55);
  EXPECT_FALSE(can.accepted);
  EXPECT_EQ(can.reason, RejectReason::kLowConfidence);
  EXPECT_DOUBLE_EQ(can.threshold, 0.6);
}

TEST_F(DecisionPolicyTest, AnUnmappedLabelIsAnUnknownItem) {
  const Verdict v = DecideFor(kBicycle, 0.99);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reason, RejectReason::kUnknownItem);
  EXPECT_EQ(v.material, std::nullopt);
}

TEST_F(DecisionPolicyTest, AMaterialTheMachineDoesNotTakeIsRejected) {
  EXPECT_EQ(DecideFor(kWineGlass, 0.99).reason, RejectReason::kNotAcceptedMaterial);
  EXPECT_EQ(DecideFor(kCrisps, 0.99).reason, RejectReason::kNotAcceptedMaterial);
}

TEST_F(DecisionPolicyTest, MultipleItemsWinsOverEveryOtherReason) {
  EXPECT_EQ(DecideFor(kBottle, 0.99, true).reason, RejectReason::kMultipleItems);
  EXPECT_EQ(DecideFor(kBicycle, 0.1, true).reason, RejectReason::kMultipleItems);
  EXPECT_FALSE(DecideFor(kBottle, 0.99, true).accepted);
}

TEST_F(DecisionPolicyTest, NotAcceptedMaterialWinsOverLowConfidence) {
  EXPECT_EQ(DecideFor(kWineGlass, 0.1).reason, RejectReason::kNotAcceptedMaterial);
}

TEST_F(DecisionPolicyTest, AMaterialWithoutAThresholdIsNeverAcceptedOnConfidence) {
  policy_.accept_threshold.erase(Material::kPet);
  EXPECT_EQ(DecideFor(kBottle, 0.99).reason, RejectReason::kLowConfidence);
}

TEST(RejectReasonTest, NamesAreTheRecordVocabulary) {
  EXPECT_EQ(RejectReasonName(RejectReason::kNone), "");
  EXPECT_EQ(RejectReasonName(RejectReason::kLowConfidence), "low_confidence");
  EXPECT_EQ(RejectReasonName(RejectReason::kUnknownItem), "unknown_item");
  EXPECT_EQ(RejectReasonName(RejectReason::kMultipleItems), "multiple_items");
  EXPECT_EQ(RejectReasonName(RejectReason::kNotAcceptedMaterial), "not_accepted_material");
  EXPECT_EQ(RejectReasonName(RejectReason::kOutOfService), "out_of_service");
}

}  // namespace
}  // namespace rvm
