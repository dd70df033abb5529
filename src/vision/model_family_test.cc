#include "vision/model_family.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(ModelFamilyTest, YoloXIsRecognisedByOnePredictionPerGridPoint) {
  auto r = ResolveOutputLayout({1, 3549, 85}, 416, 416, ModelFamily::kAuto, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->family, ModelFamily::kYoloX);
  EXPECT_EQ(r->num_classes, 80);
}

TEST(ModelFamilyTest, YoloV5IsRecognisedByThreeAnchorsPerGridPoint) {
  auto r = ResolveOutputLayout({1, 25200, 85}, 640, 640, ModelFamily::kAuto, 80);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->family, ModelFamily::kYoloV5);
}

TEST(ModelFamilyTest, YoloV8IsRecognisedByFeaturesFirstLayout) {
  auto r = ResolveOutputLayout({1, 84, 8400}, 640, 640, ModelFamily::kAuto, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->family, ModelFamily::kYoloV8);
  EXPECT_EQ(r->num_classes, 80);
  EXPECT_EQ(r->num_anchors, 8400);
}

TEST(ModelFamilyTest, FastestDetIsRecognisedByAFourDimensionalOutput) {
  auto r = ResolveOutputLayout({1, 85, 22, 22}, 352, 352, ModelFamily::kAuto, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->family, ModelFamily::kFastestDet);
  EXPECT_EQ(r->grid_w, 22);
}

TEST(ModelFamilyTest, UnknownShapeIsRejectedWithTheShapeInTheMessage) {
  auto r = ResolveOutputLayout({1, 1000, 7}, 416, 416, ModelFamily::kAuto, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("[1, 1000, 7]"), std::string::npos);
  EXPECT_FALSE(ResolveOutputLayout({1, 7}, 416, 416, ModelFamily::kAuto, 0).ok());
}

TEST(ModelFamilyTest, TheHintToNameTheFamilyComesOnlyWhenItWasGuessedFromA3DOr4DOutput) {
  const std::string hint = "set the family explicitly";
  auto message = [](const std::vector<int64_t>& shape, ModelFamily family) {
    auto r = ResolveOutputLayout(shape, 416, 416, family, 0);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(message({1, 1000, 7}, ModelFamily::kAuto).find(hint), std::string::npos);
  EXPECT_NE(message({1, 4, 22, 22}, ModelFamily::kAuto).find(hint), std::string::npos);
  EXPECT_EQ(message({1, 100, 85}, ModelFamily::kYoloX).find(hint), std::string::npos)
      << "the family was given";
  EXPECT_EQ(message({1, 7}, ModelFamily::kAuto).find(hint), std::string::npos) << "2-D";
  EXPECT_EQ(message({1, 1, 2, 3, 4}, ModelFamily::kAuto).find(hint), std::string::npos) << "5-D";
}

TEST(ModelFamilyTest, LabelCountThatDisagreesWithTheShapeIsAnError) {
  auto r = ResolveOutputLayout({1, 3549, 85}, 416, 416, ModelFamily::kAuto, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("80 classes"), std::string::npos);
}

TEST(ModelFamilyTest, ExplicitFamilyOverridesRecognitionButMustFitTheShape) {
  auto r = ResolveOutputLayout({1, 3549, 85}, 416, 416, ModelFamily::kYoloV5, 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->family, ModelFamily::kYoloV5);
  EXPECT_FALSE(ResolveOutputLayout({1, 3549, 85}, 416, 416, ModelFamily::kFastestDet, 0).ok());
  EXPECT_FALSE(ResolveOutputLayout({1, 100, 85}, 416, 416, ModelFamily::kYoloX, 0).ok());
}

TEST(ModelFamilyTest, InputSpecFollowsEachFamilysTraining) {
  EXPECT_EQ(InputSpecFor(ModelFamily::kYoloX, 416, 416).resize, ResizeMode::kLetterboxTopLeft);
  EXPECT_FALSE(InputSpecFor(ModelFamily::kYoloX, 416, 416).rgb);
  EXPECT_EQ(InputSpecFor(ModelFamily::kYoloX, 416, 416).scale, 1.0f);
  EXPECT_EQ(InputSpecFor(ModelFamily::kFastestDet, 352, 352).resize, ResizeMode::kStretch);
  EXPECT_TRUE(InputSpecFor(ModelFamily::kYoloV8, 640, 640).rgb);
}

TEST(ModelFamilyTest, FamilyNamesParse) {
  EXPECT_EQ(*ParseModelFamily("YOLO11"), ModelFamily::kYoloV8);
  EXPECT_EQ(*ParseModelFamily("yolov7"), ModelFamily::kYoloV5);
  EXPECT_FALSE(ParseModelFamily("ssd").ok());
}

}  // namespace
}  // namespace rvm
