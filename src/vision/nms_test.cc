#include "vision/nms.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

Detection D(int cls, float score, float x1, float y1, float x2, float y2) {
  return Detection{cls, score, Box{x1, y1, x2, y2}};
}

std::vector<Detection> Nms(const std::vector<Detection>& in, float iou = 0.5f, size_t cap = 100) {
  NmsScratch scratch;
  std::vector<Detection> out;
  NonMaxSuppression(in, iou, cap, scratch, out);
  return out;
}

TEST(NmsTest, EmptyInputGivesEmptyOutput) { EXPECT_TRUE(Nms({}).empty()); }

TEST(NmsTest, OverlappingBoxesOfOneClassKeepTheBest) {
  auto out = Nms({D(0, 0.6f, 0, 0, 10, 10), D(0, 0.9f, 1, 1, 11, 11), D(0, 0.7f, 0, 0, 10, 9)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
}

TEST(NmsTest, OverlappingBoxesOfDifferentClassesBothSurvive) {
  auto out = Nms({D(0, 0.9f, 0, 0, 10, 10), D(1, 0.8f, 0, 0, 10, 10)});
  EXPECT_EQ(out.size(), 2u);
}

TEST(NmsTest, IouExactlyAtThresholdIsKept) {
  // Two 10x10 boxes sharing a 10x5 strip: IoU = 50 / 150 = 1/3.
  auto out = Nms({D(0, 0.9f, 0, 0, 10, 10), D(0, 0.8f, 0, 5, 10, 15)}, 1.0f / 3.0f + 1e-6f);
  EXPECT_EQ(out.size(), 2u);
  out = Nms({D(0, 0.9f, 0, 0, 10, 10), D(0, 0.8f, 0, 5, 10, 15)}, 0.3f);
  EXPECT_EQ(out.size(), 1u);
}

TEST(NmsTest, CapLimitsTheNumberOfDetectionsKeepingTheHighest) {
  std::vector<Detection> in;
  for (int i = 0; i < 10; ++i) in.push_back(D(0, 0.1f * i, 20.0f * i, 0, 20.0f * i + 10, 10));
  auto out = Nms(in, 0.5f, 3);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_FLOAT_EQ(out[2].score, 0.7f);
}

TEST(NmsTest, EqualScoresAreResolvedByInputOrder) {
  auto out = Nms({D(0, 0.5f, 0, 0, 10, 10), D(0, 0.5f, 1, 1, 11, 11)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FLOAT_EQ(out[0].box.x1, 0.0f);
}

TEST(NmsTest, ZeroAreaBoxesDoNotSuppressAnything) {
  auto out = Nms({D(0, 0.9f, 5, 5, 5, 5), D(0, 0.8f, 0, 0, 10, 10)});
  EXPECT_EQ(out.size(), 2u);
}

}  // namespace
}  // namespace rvm
