#include "vision/nms.h"

#include <algorithm>
#include <numeric>

namespace rvm {

void NonMaxSuppression(const std::vector<Detection>& candidates, float iou_threshold,
                       size_t max_detections, NmsScratch& scratch, std::vector<Detection>& out) {
  out.clear();
  const size_t n = candidates.size();
  if (n == 0 || max_detections == 0) return;
  scratch.order.resize(n);
  std::iota(scratch.order.begin(), scratch.order.end(), 0);
  // std::sort with an index tie-break: deterministic like a stable sort, but
  // stable_sort would allocate a temporary buffer on every call.
  std::sort(scratch.order.begin(), scratch.order.end(), [&](int a, int b) {
    if (candidates[a].score != candidates[b].score)
      return candidates[a].score > candidates[b].score;
    return a < b;
  });
  scratch.suppressed.assign(n, 0);
  for (size_t i = 0; i < n && out.size() < max_detections; ++i) {
    const int a = scratch.order[i];
    if (scratch.suppressed[i]) continue;
    const Detection& kept = candidates[a];
    out.push_back(kept);
    for (size_t j = i + 1; j < n; ++j) {
      if (scratch.suppressed[j]) continue;
      const Detection& other = candidates[scratch.order[j]];
      if (other.class_id == kept.class_id && IoU(kept.box, other.box) > iou_threshold) {
        scratch.suppressed[j] = 1;
      }
    }
  }
}

}  // namespace rvm
