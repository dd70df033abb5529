// Class-aware non-maximum suppression over detections in one image.
// Pure; NmsScratch holds reusable buffers so steady-state calls do not allocate.
#pragma once

#include <cstddef>
#include <vector>

#include "vision/detection.h"

namespace rvm {

struct NmsScratch {
  std::vector<int> order;
  std::vector<char> suppressed;
};

// Keeps, per class, the highest-scoring boxes whose IoU with every kept box of
// the same class is <= iou_threshold; boxes of different classes never
// suppress each other. The survivors are written to `out` (cleared first) in
// descending score order, at most `max_detections` of them. Ties in score keep
// the earlier candidate, so the result is deterministic.
void NonMaxSuppression(const std::vector<Detection>& candidates, float iou_threshold,
                       size_t max_detections, NmsScratch& scratch, std::vector<Detection>& out);

}  // namespace rvm
