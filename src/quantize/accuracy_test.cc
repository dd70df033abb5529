#include "quantize/accuracy.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rvm::quantize {
namespace {

Detection D(int cls, float score, float x1, float y1, float x2, float y2) {
  return Detection{cls, score, Box{x1, y1, x2, y2}};
}

TEST(AgreementTest, IdenticalDetectionsAgreeFully) {
  Detections a = {D(0, 0.9f, 0, 0, 10, 10), D(1, 0.8f, 20, 20, 30, 30)};
  AgreementCount c = CountAgreement(a, a, 0.4f);
  EXPECT_EQ(c.matched, 2);
  EXPECT_DOUBLE_EQ(c.value(), 1.0);
}

TEST(AgreementTest, NothingFoundByEitherIsFullAgreement) {
  EXPECT_DOUBLE_EQ(CountAgreement({}, {}, 0.4f).value(), 1.0);
}

TEST(AgreementTest, MissedExtraAndWrongClassDetectionsCountAgainst) {
  Detections ref = {D(0, 0.9f, 0, 0, 10, 10), D(1, 0.8f, 20, 20, 30, 30)};
  Detections cand = {D(0, 0.85f, 1, 1, 10, 10),    // same object
                     D(2, 0.8f, 20, 20, 30, 30),   // wrong class
                     D(0, 0.7f, 50, 50, 60, 60)};  // extra
  AgreementCount c = CountAgreement(ref, cand, 0.4f);
  EXPECT_EQ(c.matched, 1);
  EXPECT_EQ(c.reference, 2);
  EXPECT_EQ(c.candidate, 3);
  EXPECT_DOUBLE_EQ(c.value(), 2.0 / 5.0);
}

TEST(AgreementTest, LowOverlapAndBelowThresholdDetectionsDoNotMatch) {
  Detections ref = {D(0, 0.9f, 0, 0, 10, 10)};
  Detections shifted = {D(0, 0.9f, 6, 0, 16, 10)};  // IoU 4/16
  EXPECT_EQ(CountAgreement(ref, shifted, 0.4f).matched, 0);
  Detections weak = {D(0, 0.3f, 0, 0, 10, 10)};
  AgreementCount c = CountAgreement(ref, weak, 0.4f);
  EXPECT_EQ(c.candidate, 0);
  EXPECT_DOUBLE_EQ(c.value(), 0.0);
}

TEST(AveragePrecisionTest, PerfectDetectionsScoreOne) {
  std::vector<std::vector<GroundTruth>> truth = {{{0, {0, 0, 10, 10}}}, {{0, {5, 5, 20, 20}}}};
  std::vector<Detections> dets = {{D(0, 0.9f, 0, 0, 10, 10)}, {D(0, 0.8f, 5, 5, 20, 20)}};
  EXPECT_DOUBLE_EQ(AveragePrecision(0, dets, truth), 1.0);
}

TEST(AveragePrecisionTest, FalsePositiveRankedFirstHalvesPrecisionAtFirstRecall) {
  // One truth box; the top-scored detection is a miss, the second a hit:
  // precision 1/2 at recall 1 -> AP 0.5.
  std::vector<std::vector<GroundTruth>> truth = {{{0, {0, 0, 10, 10}}}};
  std::vector<Detections> dets = {{D(0, 0.9f, 50, 50, 60, 60), D(0, 0.5f, 0, 0, 10, 10)}};
  EXPECT_DOUBLE_EQ(AveragePrecision(0, dets, truth), 0.5);
}

TEST(AveragePrecisionTest, DuplicateDetectionIsAFalsePositiveAndMissedBoxLimitsRecall) {
  std::vector<std::vector<GroundTruth>> truth = {{{0, {0, 0, 10, 10}}, {0, {30, 30, 40, 40}}}};
  std::vector<Detections> dets = {{D(0, 0.9f, 0, 0, 10, 10), D(0, 0.8f, 0, 0, 10, 10)}};
  EXPECT_DOUBLE_EQ(AveragePrecision(0, dets, truth), 0.5);
}

TEST(AveragePrecisionTest, ClassWithoutTruthIsNaN) {
  EXPECT_TRUE(std::isnan(AveragePrecision(3, {{}}, {{}})));
}

TEST(YoloLabelsTest, MapsNamesAndConvertsNormalisedBoxes) {
  std::vector<int> map = MapClassNames({"can", "bottle"}, {"person", "bicycle", "bottle"});
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map[0], -1);
  EXPECT_EQ(map[1], 2);
  auto gt = ParseYoloLabels("1 0.5 0.5 0.5 0.25\n0 0.1 0.1 0.1 0.1\n\n", 200, 100, map, "x.txt");
  ASSERT_TRUE(gt.ok()) << gt.status().message();
  ASSERT_EQ(gt->size(), 1u);  // the can has no model class
  EXPECT_EQ((*gt)[0].class_id, 2);
  EXPECT_FLOAT_EQ((*gt)[0].box.x1, 50);
  EXPECT_FLOAT_EQ((*gt)[0].box.y2, 62.5f);
}

TEST(YoloLabelsTest, MalformedLineAndUnknownClassAreErrorsNamingTheFile) {
  std::vector<int> map = {0};
  auto bad = ParseYoloLabels("0 0.5 0.5\n", 10, 10, map, "a.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("a.txt"), std::string::npos);
  EXPECT_NE(bad.status().message().find("line 1"), std::string::npos);
  auto unknown = ParseYoloLabels("4 0.5 0.5 0.1 0.1\n", 10, 10, map, "b.txt");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("classes.txt"), std::string::npos);
}

}  // namespace
}  // namespace rvm::quantize
