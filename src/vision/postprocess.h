// Postprocessor: one image's raw output tensor -> final detections in source
// pixels (decode for the model family, confidence threshold, class-aware NMS
// with a cap, map back through the letterbox, clip). Owns its scratch buffers
// so the steady state does not allocate. Thread-compatible.
#pragma once

#include <vector>

#include "base/status.h"
#include "vision/decoders.h"
#include "vision/image_transform.h"
#include "vision/nms.h"

namespace rvm {

// Set by the caller; the defaults live in one place, the service's detector
// settings (config.h: detector.conf_threshold, nms_iou, max_detections), and
// DetectorOptions starts from them.
struct PostprocessOptions {
  float conf_threshold = 0;  // minimum score kept, in [0, 1]
  float iou_threshold = 0;   // NMS: same-class boxes overlapping more than this are dropped
  int max_detections = 0;    // cap on detections per image after NMS
};

class Postprocessor {
 public:
  Postprocessor(const OutputLayout& layout, const PostprocessOptions& options);

  void set_conf_threshold(float t) { options_.conf_threshold = t; }
  const PostprocessOptions& options() const { return options_; }

  // `output` points at this image's slice of the output tensor. `out` is
  // cleared and filled in descending score order. A candidate whose score is
  // not in [0, 1] (NaN, infinite, or a raw logit from an export without its
  // final sigmoid) or whose box is not finite is not a detection: the output
  // is refused, `out` left empty, and the error says what was found.
  Status Run(const float* output, const ImageTransform& transform, Detections& out);

 private:
  OutputLayout layout_;
  PostprocessOptions options_;
  std::vector<Detection> candidates_;
  std::vector<float> best_score_;
  std::vector<int> best_class_;
  NmsScratch nms_;
};

}  // namespace rvm
