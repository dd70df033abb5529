#include "eval/class_matching.h"

#include <gtest/gtest.h>

#include "eval/detection_metrics.h"

namespace rvm::eval {
namespace {

TEST(ClassMatchingTest, EqualNamesMatchDirectly) {
  PolicyConfig policy;
  EXPECT_EQ(MatchModelClasses({"can", "plastic_bottle"}, {"can", "plastic_bottle"}, policy),
            (std::vector<int>{0, 1}));
}

TEST(ClassMatchingTest, NamesWithTheSameMaterialMatch) {
  PolicyConfig policy;
  // An aluminium_can output is a can label; COCO's bottle is the data set's plastic_bottle.
  EXPECT_EQ(MatchModelClasses({"plastic_bottle", "aluminium_can"}, {"can", "bottle"}, policy),
            (std::vector<int>{1, 0}));
}

TEST(ClassMatchingTest, CocoClassesMatchThroughTheDefaultLabelMap) {
  PolicyConfig policy;
  const std::vector<int> m = MatchModelClasses({"person", "bottle", "wine glass", "cup", "car"},
                                               {"can", "bottle"}, policy);
  // person is ignored, wine glass is glass (no such class here), car is unmapped.
  EXPECT_EQ(m, (std::vector<int>{kNoClass, 1, kNoClass, 0, kNoClass}));
}

TEST(ClassMatchingTest, TheConfiguredMapDecides) {
  PolicyConfig policy;
  policy.label_materials = {{"tin", Material::kAluminium}, {"can", Material::kAluminium}};
  EXPECT_EQ(MatchModelClasses({"tin", "cup"}, {"can"}, policy), (std::vector<int>{0, kNoClass}));
  EXPECT_EQ(MaterialOfLabel("tin", policy), Material::kAluminium);
  EXPECT_EQ(MaterialOfLabel("cup", policy), std::nullopt);
}

}  // namespace
}  // namespace rvm::eval
