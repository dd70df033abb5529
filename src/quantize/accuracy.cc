#include "quantize/accuracy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>

namespace rvm::quantize {

AgreementCount CountAgreement(const Detections& reference, const Detections& candidate,
                              float conf_threshold, float iou_threshold) {
  std::vector<const Detection*> ref, cand;
  for (const auto& d : reference) {
    if (d.score >= conf_threshold) ref.push_back(&d);
  }
  for (const auto& d : candidate) {
    if (d.score >= conf_threshold) cand.push_back(&d);
  }
  std::sort(ref.begin(), ref.end(), [](auto* a, auto* b) { return a->score > b->score; });
  AgreementCount c;
  c.reference = static_cast<int>(ref.size());
  c.candidate = static_cast<int>(cand.size());
  std::vector<bool> used(cand.size(), false);
  for (const Detection* r : ref) {
    int best = -1;
    float best_iou = iou_threshold;
    for (size_t j = 0; j < cand.size(); ++j) {
      if (used[j] || cand[j]->class_id != r->class_id) continue;
      const float iou = IoU(r->box, cand[j]->box);
      if (iou >= best_iou) {
        best_iou = iou;
        best = static_cast<int>(j);
      }
    }
    if (best >= 0) {
      used[best] = true;
      ++c.matched;
    }
  }
  return c;
}

double AveragePrecision(int class_id, const std::vector<Detections>& detections,
                        const std::vector<std::vector<GroundTruth>>& truth, float iou_threshold) {
  struct Scored {
    float score;
    size_t image;
    const Box* box;
  };
  std::vector<Scored> all;
  int positives = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    for (const auto& t : truth[i]) positives += t.class_id == class_id;
  }
  if (positives == 0) return std::numeric_limits<double>::quiet_NaN();
  for (size_t i = 0; i < detections.size(); ++i) {
    for (const auto& d : detections[i]) {
      if (d.class_id == class_id) all.push_back({d.score, i, &d.box});
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  std::vector<std::vector<bool>> taken(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) taken[i].assign(truth[i].size(), false);
  std::vector<double> precision, recall;
  int tp = 0, fp = 0;
  for (const Scored& s : all) {
    int best = -1;
    float best_iou = iou_threshold;
    if (s.image < truth.size()) {
      const auto& gts = truth[s.image];
      for (size_t j = 0; j < gts.size(); ++j) {
        if (gts[j].class_id != class_id) continue;
        const float iou = IoU(*s.box, gts[j].box);
        if (iou >= best_iou) {
          best_iou = iou;
          best = static_cast<int>(j);
        }
      }
    }
    // The best-overlapping box decides, as in the VOC protocol: a duplicate
    // of an already-matched box is a false positive.
    if (best >= 0 && !taken[s.image][best]) {
      taken[s.image][best] = true;
      ++tp;
    } else {
      ++fp;
    }
    precision.push_back(static_cast<double>(tp) / (tp + fp));
    recall.push_back(static_cast<double>(tp) / positives);
  }
  // All-point interpolation: area under the monotone precision envelope.
  double ap = 0, prev_recall = 0;
  for (size_t k = 0; k < precision.size(); ++k) {
    double p = 0;
    for (size_t m = k; m < precision.size(); ++m) p = std::max(p, precision[m]);
    ap += (recall[k] - prev_recall) * p;
    prev_recall = recall[k];
  }
  return ap;
}

std::vector<int> MapClassNames(const std::vector<std::string>& dataset_names,
                               const std::vector<std::string>& model_labels) {
  std::vector<int> map(dataset_names.size(), -1);
  for (size_t i = 0; i < dataset_names.size(); ++i) {
    auto it = std::find(model_labels.begin(), model_labels.end(), dataset_names[i]);
    if (it != model_labels.end()) map[i] = static_cast<int>(it - model_labels.begin());
  }
  return map;
}

Result<std::vector<GroundTruth>> ParseYoloLabels(const std::string& text, int width, int height,
                                                 const std::vector<int>& class_map,
                                                 const std::string& name) {
  std::vector<GroundTruth> out;
  std::istringstream lines(text);
  std::string line;
  int line_no = 0;
  while (std::getline(lines, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream f(line);
    int cls;
    float cx, cy, w, h;
    if (!(f >> cls >> cx >> cy >> w >> h)) {
      return InvalidArgument("label file '" + name + "' line " + std::to_string(line_no) +
                             ": expected 'class cx cy w h'");
    }
    if (cls < 0 || cls >= static_cast<int>(class_map.size())) {
      return InvalidArgument("label file '" + name + "' line " + std::to_string(line_no) +
                             ": class " + std::to_string(cls) + " is not in classes.txt");
    }
    if (class_map[cls] < 0) continue;
    GroundTruth g;
    g.class_id = class_map[cls];
    g.box = Box{(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width,
                (cy + h / 2) * height};
    out.push_back(g);
  }
  return out;
}

}  // namespace rvm::quantize
