#include "eval/detection_metrics.h"

#include <gtest/gtest.h>

namespace rvm::eval {
namespace {

Detection Det(int cls, float score, Box b) { return Detection{cls, score, b}; }
GroundTruth Truth(int cls, Box b) { return GroundTruth{cls, b}; }
const Box kA{0, 0, 10, 10};
const Box kB{100, 100, 120, 130};
const Box kC{200, 0, 240, 40};

TEST(AveragePrecision101Test, AllHitsBeforeAnyMissIsOne) {
  EXPECT_DOUBLE_EQ(AveragePrecision101({true, true, false}, 2), 1.0);
}

TEST(AveragePrecision101Test, AFalseAlarmRankedFirstHalvesIt) {
  EXPECT_DOUBLE_EQ(AveragePrecision101({false, true}, 1), 0.5);
}

TEST(AveragePrecision101Test, RecallReachedOnlyHalfWayCountsFiftyOneOfTheHundredAndOnePoints) {
  EXPECT_DOUBLE_EQ(AveragePrecision101({true}, 2), 51.0 / 101.0);
}

TEST(AveragePrecision101Test, PrecisionIsTheEnvelopeFromTheRight) {
  // Ranks: TP, FP, TP over 2 boxes: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
  // Envelope: recall 0..0.5 -> 1 (51 points), 0.51..1 -> 2/3 (50 points).
  EXPECT_NEAR(AveragePrecision101({true, false, true}, 2), (51.0 + 50.0 * 2.0 / 3.0) / 101.0,
              1e-12);
}

TEST(AveragePrecision101Test, NoDetectionsIsZero) {
  EXPECT_DOUBLE_EQ(AveragePrecision101({}, 3), 0.0);
}

TEST(DetectionEvaluatorTest, PerfectDetectionsGiveApOneForEveryClass) {
  DetectionEvaluator e(2, 0.25);
  e.AddImage({Truth(0, kA), Truth(1, kB)}, {Det(0, 0.9f, kA), Det(1, 0.8f, kB)});
  e.AddImage({Truth(1, kC)}, {Det(1, 0.7f, kC)});
  const DetectionMetrics m = e.Compute();
  EXPECT_DOUBLE_EQ(m.classes[0].ap50, 1.0);
  EXPECT_DOUBLE_EQ(m.classes[1].ap50, 1.0);
  EXPECT_DOUBLE_EQ(m.classes[1].ap50_95, 1.0);
  EXPECT_DOUBLE_EQ(m.map50, 1.0);
  EXPECT_DOUBLE_EQ(m.map50_95, 1.0);
  EXPECT_EQ(m.classes[1].ground_truth, 2);
  EXPECT_EQ(m.classes[1].detections, 2);
}

TEST(DetectionEvaluatorTest, DetectionsAreRankedByScoreAcrossAllImages) {
  DetectionEvaluator e(1, 0.25);
  e.AddImage({}, {Det(0, 0.9f, kA)});              // a false alarm, ranked first
  e.AddImage({Truth(0, kB)}, {Det(0, 0.8f, kB)});  // the hit
  EXPECT_DOUBLE_EQ(e.Compute().classes[0].ap50, 0.5);
}

TEST(DetectionEvaluatorTest, ADuplicateOfAMatchedBoxIsAFalseAlarm) {
  DetectionEvaluator e(1, 0.25);
  // The better-scored detection takes the box; the second one is a false positive
  // ranked above the hit on the second box.
  e.AddImage({Truth(0, kA), Truth(0, kB)}, {Det(0, 0.9f, kA), Det(0, 0.8f, kA), Det(0, 0.7f, kB)});
  EXPECT_NEAR(e.Compute().classes[0].ap50, (51.0 + 50.0 * 2.0 / 3.0) / 101.0, 1e-9);
}

TEST(DetectionEvaluatorTest, ApOverIouThresholdsCountsTheThresholdsABoxClears) {
  DetectionEvaluator e(1, 0.25);
  // IoU 0.75 clears 0.50..0.75 (6 of the 10 thresholds) and fails 0.80..0.95.
  e.AddImage({Truth(0, Box{0, 0, 10, 10})}, {Det(0, 0.9f, Box{0, 0, 7.5f, 10})});
  const DetectionMetrics m = e.Compute();
  EXPECT_DOUBLE_EQ(m.classes[0].ap50, 1.0);
  EXPECT_NEAR(m.classes[0].ap50_95, 0.6, 1e-12);
}

TEST(DetectionEvaluatorTest, AWrongClassIsAMissForOneClassAndAFalseAlarmForTheOther) {
  DetectionEvaluator e(2, 0.25);
  e.AddImage({Truth(0, kA)}, {Det(1, 0.9f, kA)});
  e.AddImage({Truth(1, kB)}, {Det(1, 0.9f, kB)});
  const DetectionMetrics m = e.Compute();
  EXPECT_DOUBLE_EQ(m.classes[0].ap50, 0.0);
  EXPECT_DOUBLE_EQ(m.classes[1].ap50, 0.5);
  EXPECT_DOUBLE_EQ(m.map50, 0.25);
}

TEST(DetectionEvaluatorTest, AClassWithoutGroundTruthHasNoApAndIsLeftOutOfTheMean) {
  DetectionEvaluator e(2, 0.25);
  e.AddImage({Truth(0, kA)}, {Det(0, 0.9f, kA), Det(1, 0.5f, kB)});
  const DetectionMetrics m = e.Compute();
  EXPECT_EQ(m.classes[1].ap50, -1);
  EXPECT_EQ(m.classes[1].detections, 1);
  EXPECT_DOUBLE_EQ(m.map50, 1.0);
}

TEST(DetectionEvaluatorTest, DetectionsOfOtherClassesDoNotCountInAp) {
  DetectionEvaluator e(1, 0.25);
  e.AddImage({Truth(0, kA)}, {Det(kNoClass, 0.99f, kB), Det(0, 0.9f, kA)});
  EXPECT_DOUBLE_EQ(e.Compute().classes[0].ap50, 1.0);
}

TEST(DetectionEvaluatorTest, ConfusionMatrixCountsMatchesMissesFalseAlarmsAndOtherClasses) {
  DetectionEvaluator e(2, 0.5);
  e.AddImage({Truth(0, kA), Truth(1, kB), Truth(1, kC)},
             {Det(1, 0.9f, kA),                                // a can taken for a bottle
              Det(1, 0.8f, kB),                                // right
              Det(0, 0.4f, kC),                                // below the threshold: kC is missed
              Det(kNoClass, 0.7f, Box{500, 500, 510, 510})});  // a "car" on nothing
  e.AddImage({Truth(0, kA)}, {Det(kNoClass, 0.6f, kA)});       // a can seen as a "cup"-less other
  const ConfusionMatrix& c = e.confusion();
  EXPECT_EQ(c.at(0, 1), 1);
  EXPECT_EQ(c.at(1, 1), 1);
  EXPECT_EQ(c.at(1, c.missed_column()), 1);
  EXPECT_EQ(c.at(c.background_row(), c.other_column()), 1);
  EXPECT_EQ(c.at(0, c.other_column()), 1);
  EXPECT_EQ(c.at(0, 0), 0);
  EXPECT_EQ(c.at(1, 0), 0);
  int total = 0;
  for (int r = 0; r <= 2; ++r) {
    for (int col = 0; col <= 3; ++col) total += c.at(r, col);
  }
  EXPECT_EQ(total, 5);  // 4 boxes of truth, 1 false alarm
}

TEST(DetectionEvaluatorTest, ConfusionMatchingNeedsIouOfOneHalf) {
  DetectionEvaluator e(1, 0.25);
  // IoU 0.4 with the box: not a match, so a miss and a false alarm.
  e.AddImage({Truth(0, Box{0, 0, 10, 10})}, {Det(0, 0.9f, Box{0, 0, 4, 10})});
  const ConfusionMatrix& c = e.confusion();
  EXPECT_EQ(c.at(0, 0), 0);
  EXPECT_EQ(c.at(0, c.missed_column()), 1);
  EXPECT_EQ(c.at(c.background_row(), 0), 1);
}

}  // namespace
}  // namespace rvm::eval
