#include "config/roi.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(RoiTest, TheDefaultIsTheWholeFrame) {
  EXPECT_TRUE(Roi{}.whole_frame());
  EXPECT_EQ(RoiProblem(Roi{}), "");
  const PixelRect r = RoiPixels(Roi{}, 640, 480);
  EXPECT_EQ(r.x, 0);
  EXPECT_EQ(r.y, 0);
  EXPECT_EQ(r.width, 640);
  EXPECT_EQ(r.height, 480);
}

TEST(RoiTest, PixelsCoverTheFractionsRoundedOutward) {
  const PixelRect r = RoiPixels(Roi{0.25, 0.1, 0.751, 0.5}, 100, 50);
  EXPECT_EQ(r.x, 25);
  EXPECT_EQ(r.y, 5);
  EXPECT_EQ(r.width, 76 - 25);
  EXPECT_EQ(r.height, 20);
}

TEST(RoiTest, ATinyRegionIsStillOnePixel) {
  const PixelRect r = RoiPixels(Roi{0.5, 0.5, 0.5001, 0.5001}, 10, 10);
  EXPECT_EQ(r.width, 1);
  EXPECT_EQ(r.height, 1);
}

TEST(RoiTest, ParsesAFlagAndNamesItWhenWrong) {
  auto roi = ParseRoi("0.1, 0.2,0.9,1", "--roi");
  ASSERT_TRUE(roi.ok()) << roi.status().message();
  EXPECT_EQ(*roi, (Roi{0.1, 0.2, 0.9, 1}));
  EXPECT_EQ(ParseRoi("0.1,0.2,0.9", "--roi").status().message(),
            "--roi '0.1,0.2,0.9': expected four fractions x0,y0,x1,y1");
  EXPECT_EQ(ParseRoi("a,0,1,1", "--roi").status().message(),
            "--roi 'a,0,1,1': expected four fractions x0,y0,x1,y1");
  EXPECT_EQ(ParseRoi("0.5,0,0.4,1", "--roi").status().message(),
            "--roi '0.5,0,0.4,1': x0 must be less than x1");
  EXPECT_EQ(ParseRoi("0,0,1,1.5", "--roi").status().message(),
            "--roi '0,0,1,1.5': y1 must be a fraction of the frame in [0, 1]");
}

TEST(RoiTest, TextReadsLikeTheConfiguration) {
  EXPECT_EQ(RoiText(Roi{0.1, 0, 0.9, 1}), "[0.1, 0, 0.9, 1]");
}

}  // namespace
}  // namespace rvm
