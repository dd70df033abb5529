// Accuracy measures for comparing a quantized model with its float original.
//
// Agreement: detections at or above the service's confidence threshold are
// matched one-to-one between the two models (same class, IoU >= 0.5, greedy
// by descending float score). agreement = 2 * matched / (n_float + n_int8):
// symmetric, 1 when both find nothing, and every missed or extra detection
// on either side counts against it.
//
// AP@0.5: all-point interpolated average precision (VOC 2010+ / COCO style
// at one IoU) of one class over a set of images, against ground truth boxes
// read from YOLO txt labels ("class cx cy w h", normalised) whose class names
// come from a classes.txt beside them.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "vision/detection.h"

namespace rvm::quantize {

struct AgreementCount {
  int matched = 0, reference = 0, candidate = 0;
  void Add(const AgreementCount& o) {
    matched += o.matched;
    reference += o.reference;
    candidate += o.candidate;
  }
  double value() const {
    return reference + candidate == 0 ? 1.0 : 2.0 * matched / (reference + candidate);
  }
};

AgreementCount CountAgreement(const Detections& reference, const Detections& candidate,
                              float conf_threshold, float iou_threshold = 0.5f);

struct GroundTruth {
  int class_id = -1;  // the model's class id
  Box box;            // image pixels
};

// Average precision of `class_id`; detections[i] and truth[i] belong to image i.
// NaN when the class has no ground truth box.
double AveragePrecision(int class_id, const std::vector<Detections>& detections,
                        const std::vector<std::vector<GroundTruth>>& truth,
                        float iou_threshold = 0.5f);

// Maps dataset class ids (line numbers of classes.txt) to model class ids by
// name; names the model lacks map to -1.
std::vector<int> MapClassNames(const std::vector<std::string>& dataset_names,
                               const std::vector<std::string>& model_labels);

// Parses YOLO txt label text for an image of `width` x `height` pixels,
// keeping boxes whose dataset class maps to a model class. `name` appears in
// errors.
Result<std::vector<GroundTruth>> ParseYoloLabels(const std::string& text, int width, int height,
                                                 const std::vector<int>& class_map,
                                                 const std::string& name);

}  // namespace rvm::quantize
