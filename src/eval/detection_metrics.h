// Detection metrics over a labelled image set: COCO-style average precision
// and a confusion matrix, computed from detections and ground-truth boxes.
//
// Classes here are the evaluation's classes (a dataset's classes.txt), not
// the model's: the caller maps each detection to one of them first (see
// eval/class_matching.h), or to kNoClass when the model's class is none of
// them ("car" against a can/bottle dataset).
//
// Average precision follows COCO: per class and IoU threshold, all
// detections of that class over all images are taken best score first; each
// is matched to the unmatched ground-truth box of its class in its image with
// the highest IoU at or above the threshold (a true positive), else it is a
// false positive. Precision is made monotone from the right and read at 101
// recall points 0, 0.01, ..., 1 (0 past the highest recall reached). A class
// without ground truth has no AP and is left out of the means. AP@0.5:0.95 is
// the mean over the IoU thresholds 0.50, 0.55, ..., 0.95.
//
// The confusion matrix matches class-agnostically, per image: detections at
// or above a confidence threshold, best score first, each to the unmatched
// ground-truth box with the highest IoU >= 0.5. A matched pair counts in
// (true class, detected class); a ground-truth box left over counts as
// "missed"; a detection left over counts as "background" (a false alarm).
//
// Pure; thread-compatible (one thread feeds an evaluator).
#pragma once

#include <array>
#include <vector>

#include "vision/detection.h"

namespace rvm::eval {

// A detection whose model class maps to none of the evaluation's classes.
inline constexpr int kNoClass = -1;

struct GroundTruth {
  int class_id = 0;  // evaluation class, 0..num_classes-1
  Box box;           // image pixels
};

// The IoU thresholds of AP@0.5:0.95.
inline constexpr std::array<double, 10> kCocoIouThresholds = {0.50, 0.55, 0.60, 0.65, 0.70,
                                                              0.75, 0.80, 0.85, 0.90, 0.95};

// COCO's 101-point interpolated average precision of one ranked list.
// `true_positive[i]` says whether the i-th detection (best score first) was
// matched; `num_ground_truth` > 0 boxes exist. Returns a value in [0, 1].
double AveragePrecision101(const std::vector<bool>& true_positive, int num_ground_truth);

struct ClassMetrics {
  int ground_truth = 0;  // boxes of this class
  int detections = 0;    // detections of this class (any score)
  double ap50 = -1;      // AP@0.5; -1 when the class has no ground truth
  double ap50_95 = -1;   // AP@0.5:0.95; -1 likewise
};

struct DetectionMetrics {
  std::vector<ClassMetrics> classes;
  double map50 = 0;     // mean of the classes' AP@0.5 (classes with ground truth)
  double map50_95 = 0;  // mean of the classes' AP@0.5:0.95 (likewise)
};

// Rows: true class 0..n-1, then row n = background (a detection where there
// is nothing). Columns: detected class 0..n-1, then column n = other (a model
// class outside the evaluation's), then column n+1 = missed (nothing detected).
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(int num_classes);

  int num_classes() const { return n_; }
  int background_row() const { return n_; }
  int other_column() const { return n_; }
  int missed_column() const { return n_ + 1; }
  int at(int row, int column) const { return cells_[row * (n_ + 2) + column]; }
  void Add(int row, int column) { ++cells_[row * (n_ + 2) + column]; }

 private:
  int n_;
  std::vector<int> cells_;
};

class DetectionEvaluator {
 public:
  // `confusion_threshold`: the minimum score of a detection counted in the
  // confusion matrix (the service's confidence threshold).
  DetectionEvaluator(int num_classes, double confusion_threshold);

  // One image: its ground truth and the detections on it, classes already
  // mapped (kNoClass allowed for detections). Ground truth with a class
  // outside 0..num_classes-1 is an invariant breach (asserted).
  void AddImage(const std::vector<GroundTruth>& truth, const Detections& detections);

  DetectionMetrics Compute() const;
  const ConfusionMatrix& confusion() const { return confusion_; }

 private:
  struct ImageRecord {
    std::vector<GroundTruth> truth;
    Detections detections;  // kNoClass ones dropped
  };
  int num_classes_;
  double confusion_threshold_;
  std::vector<ImageRecord> images_;
  ConfusionMatrix confusion_;
};

}  // namespace rvm::eval
