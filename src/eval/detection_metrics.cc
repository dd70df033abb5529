#include "eval/detection_metrics.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace rvm::eval {

double AveragePrecision101(const std::vector<bool>& true_positive, int num_ground_truth) {
  assert(num_ground_truth > 0);
  const size_t n = true_positive.size();
  std::vector<double> precision(n), recall(n);
  int tp = 0;
  for (size_t i = 0; i < n; ++i) {
    if (true_positive[i]) ++tp;
    precision[i] = static_cast<double>(tp) / static_cast<double>(i + 1);
    recall[i] = static_cast<double>(tp) / num_ground_truth;
  }
  // The precision envelope: at each rank, the best precision at this recall or beyond.
  for (size_t i = n; i-- > 1;) precision[i - 1] = std::max(precision[i - 1], precision[i]);
  double sum = 0;
  size_t rank = 0;
  for (int r = 0; r <= 100; ++r) {
    const double at = r / 100.0;
    // Recall never decreases with rank, so the search resumes where the last one stopped.
    while (rank < n && recall[rank] < at - 1e-12) ++rank;
    if (rank == n) break;
    sum += precision[rank];
  }
  return sum / 101.0;
}

ConfusionMatrix::ConfusionMatrix(int num_classes)
    : n_(num_classes), cells_(static_cast<size_t>((num_classes + 1) * (num_classes + 2)), 0) {}

DetectionEvaluator::DetectionEvaluator(int num_classes, double confusion_threshold)
    : num_classes_(num_classes),
      confusion_threshold_(confusion_threshold),
      confusion_(num_classes) {}

void DetectionEvaluator::AddImage(const std::vector<GroundTruth>& truth,
                                  const Detections& detections) {
  for (const GroundTruth& g : truth) {
    assert(g.class_id >= 0 && g.class_id < num_classes_);
    (void)g;
  }
  // Confusion: class-agnostic greedy matching of the confident detections.
  Detections confident;
  for (const Detection& d : detections) {
    if (d.score >= confusion_threshold_) confident.push_back(d);
  }
  std::stable_sort(confident.begin(), confident.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<bool> matched(truth.size(), false);
  for (const Detection& d : confident) {
    int best = -1;
    float best_iou = 0.5f;
    for (size_t g = 0; g < truth.size(); ++g) {
      if (matched[g]) continue;
      const float iou = IoU(d.box, truth[g].box);
      if (iou >= best_iou) {
        best_iou = iou;
        best = static_cast<int>(g);
      }
    }
    const int column = d.class_id == kNoClass ? confusion_.other_column() : d.class_id;
    if (best >= 0) {
      matched[static_cast<size_t>(best)] = true;
      confusion_.Add(truth[static_cast<size_t>(best)].class_id, column);
    } else {
      confusion_.Add(confusion_.background_row(), column);
    }
  }
  for (size_t g = 0; g < truth.size(); ++g) {
    if (!matched[g]) confusion_.Add(truth[g].class_id, confusion_.missed_column());
  }

  ImageRecord record;
  record.truth = truth;
  for (const Detection& d : detections) {
    if (d.class_id != kNoClass) record.detections.push_back(d);
  }
  images_.push_back(std::move(record));
}

DetectionMetrics DetectionEvaluator::Compute() const {
  DetectionMetrics m;
  m.classes.resize(static_cast<size_t>(num_classes_));
  struct Ranked {
    float score;
    size_t image;
    size_t index;
  };
  int with_truth = 0;
  for (int c = 0; c < num_classes_; ++c) {
    ClassMetrics& cm = m.classes[static_cast<size_t>(c)];
    std::vector<Ranked> ranked;
    for (size_t i = 0; i < images_.size(); ++i) {
      for (const GroundTruth& g : images_[i].truth) cm.ground_truth += g.class_id == c ? 1 : 0;
      const Detections& dets = images_[i].detections;
      for (size_t k = 0; k < dets.size(); ++k) {
        if (dets[k].class_id == c) ranked.push_back({dets[k].score, i, k});
      }
    }
    cm.detections = static_cast<int>(ranked.size());
    if (cm.ground_truth == 0) continue;
    ++with_truth;
    // Ties keep image order, so the result does not depend on the sort's whims.
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Ranked& a, const Ranked& b) { return a.score > b.score; });
    double sum = 0;
    for (double threshold : kCocoIouThresholds) {
      std::vector<std::vector<bool>> used(images_.size());
      for (size_t i = 0; i < images_.size(); ++i) used[i].assign(images_[i].truth.size(), false);
      std::vector<bool> tp(ranked.size(), false);
      for (size_t r = 0; r < ranked.size(); ++r) {
        const ImageRecord& img = images_[ranked[r].image];
        const Box& box = img.detections[ranked[r].index].box;
        int best = -1;
        double best_iou = threshold;
        for (size_t g = 0; g < img.truth.size(); ++g) {
          if (img.truth[g].class_id != c || used[ranked[r].image][g]) continue;
          const double iou = IoU(box, img.truth[g].box);
          if (iou >= best_iou) {
            best_iou = iou;
            best = static_cast<int>(g);
          }
        }
        if (best >= 0) {
          used[ranked[r].image][static_cast<size_t>(best)] = true;
          tp[r] = true;
        }
      }
      const double ap = AveragePrecision101(tp, cm.ground_truth);
      if (threshold == kCocoIouThresholds[0]) cm.ap50 = ap;
      sum += ap;
    }
    cm.ap50_95 = sum / static_cast<double>(kCocoIouThresholds.size());
    m.map50 += cm.ap50;
    m.map50_95 += cm.ap50_95;
  }
  if (with_truth > 0) {
    m.map50 /= with_truth;
    m.map50_95 /= with_truth;
  }
  return m;
}

}  // namespace rvm::eval
