#include "vision/image_transform.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(ImageTransformTest, TopLeftLetterboxScalesByTheTighterAxisAndPadsRightOrBottom) {
  ImageTransform t = ComputeTransform(800, 400, 416, 416, ResizeMode::kLetterboxTopLeft);
  EXPECT_EQ(t.resized_w, 416);
  EXPECT_EQ(t.resized_h, 208);
  EXPECT_EQ(t.pad_x, 0);
  EXPECT_EQ(t.pad_y, 0);
  EXPECT_FLOAT_EQ(t.scale_x, 0.52f);
}

TEST(ImageTransformTest, CenterLetterboxSplitsPaddingEvenly) {
  ImageTransform t = ComputeTransform(400, 800, 640, 640, ResizeMode::kLetterboxCenter);
  EXPECT_EQ(t.resized_w, 320);
  EXPECT_EQ(t.resized_h, 640);
  EXPECT_EQ(t.pad_x, 160);
  EXPECT_EQ(t.pad_y, 0);
}

TEST(ImageTransformTest, StretchScalesAxesIndependently) {
  ImageTransform t = ComputeTransform(704, 176, 352, 352, ResizeMode::kStretch);
  EXPECT_FLOAT_EQ(t.scale_x, 0.5f);
  EXPECT_FLOAT_EQ(t.scale_y, 2.0f);
  EXPECT_EQ(t.pad_x, 0);
}

TEST(ImageTransformTest, ForwardThenInverseMappingIsIdentity) {
  for (ResizeMode mode :
       {ResizeMode::kLetterboxTopLeft, ResizeMode::kLetterboxCenter, ResizeMode::kStretch}) {
    ImageTransform t = ComputeTransform(768, 576, 416, 416, mode);
    Box src{12.5f, 40.0f, 300.25f, 500.0f};
    Box back = t.ToSource(t.ToInput(src));
    EXPECT_NEAR(back.x1, src.x1, 1e-3) << ResizeModeName(mode);
    EXPECT_NEAR(back.y1, src.y1, 1e-3);
    EXPECT_NEAR(back.x2, src.x2, 1e-3);
    EXPECT_NEAR(back.y2, src.y2, 1e-3);
  }
}

TEST(ImageTransformTest, InverseMappingClipsToTheSourceImage) {
  ImageTransform t = ComputeTransform(200, 100, 416, 416, ResizeMode::kLetterboxCenter);
  Box b = t.ToSource(Box{-50, -50, 1000, 1000});
  EXPECT_EQ(b.x1, 0);
  EXPECT_EQ(b.y1, 0);
  EXPECT_EQ(b.x2, 200);
  EXPECT_EQ(b.y2, 100);
}

}  // namespace
}  // namespace rvm
