#include "deposit/label_map.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kCocoSlice = {"person", "bicycle", "bottle", "wine glass", "cup"};

TEST(LabelMapTest, DefaultPolicyMapsCocoLabelsToMaterials) {
  Result<LabelMap> map = LabelMap::Create(kCocoSlice, PolicyConfig{});
  ASSERT_TRUE(map.ok()) << map.status().ToString();
  EXPECT_EQ(map->size(), 5u);
  EXPECT_EQ(map->Label(2), "bottle");
  EXPECT_EQ(map->MaterialOf(2), Material::kPet);
  EXPECT_EQ(map->MaterialOf(3), Material::kGlass);
  EXPECT_EQ(map->MaterialOf(4), Material::kAluminium);
  EXPECT_EQ(map->MaterialOf(1), std::nullopt);  // bicycle: unknown item
  EXPECT_TRUE(map->IsIgnored(0));
  EXPECT_FALSE(map->IsIgnored(2));
}

TEST(LabelMapTest, AnOperatorsLabelsMapThroughTheDefaults) {
  Result<LabelMap> map = LabelMap::Create({"can", "bottle"}, PolicyConfig{});
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->MaterialOf(0), Material::kAluminium);
  EXPECT_EQ(map->MaterialOf(1), Material::kPet);
}

TEST(LabelMapTest, UnknownClassIdsHaveAPlaceholderLabelAndNoMaterial) {
  Result<LabelMap> map = LabelMap::Create(kCocoSlice, PolicyConfig{});
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->Label(77), "class_77");
  EXPECT_EQ(map->Label(-1), "class_-1");
  EXPECT_EQ(map->MaterialOf(77), std::nullopt);
  EXPECT_FALSE(map->IsIgnored(77));
}

TEST(LabelMapTest, IgnoredDetectionsAreRemovedInOrder) {
  Result<LabelMap> map = LabelMap::Create(kCocoSlice, PolicyConfig{});
  ASSERT_TRUE(map.ok());
  const Detections in = {{2, 0.9f, {}}, {0, 0.8f, {}}, {4, 0.7f, {}}};
  const Detections out = map->WithoutIgnored(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].class_id, 2);
  EXPECT_EQ(out[1].class_id, 4);
}

TEST(LabelMapTest, APolicyThatMapsNoneOfTheLabelsIsAnError) {
  Result<LabelMap> map = LabelMap::Create({"cat", "dog"}, PolicyConfig{});
  ASSERT_FALSE(map.ok());
  EXPECT_THAT(map.status().message(), HasSubstr("maps none of the model's 2 labels (\"cat\""));
  EXPECT_FALSE(LabelMap::Create({}, PolicyConfig{}).ok());
}

}  // namespace
}  // namespace rvm
