// Detection: one object found in one image, in that image's pixel coordinates.
// A plain value type shared by the decoders, the detectors, the tracker and
// the decision policy.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace rvm {

// Axis-aligned box in pixels: (x1, y1) top-left, (x2, y2) bottom-right, x2 >= x1.
struct Box {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;

  float width() const { return x2 - x1; }
  float height() const { return y2 - y1; }
  float area() const { return std::max(0.0f, width()) * std::max(0.0f, height()); }
  float cx() const { return 0.5f * (x1 + x2); }
  float cy() const { return 0.5f * (y1 + y2); }
};

// Intersection over union of two boxes; 0 when either is empty.
inline float IoU(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0.0f;
  const float inter = iw * ih;
  const float uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

struct Detection {
  int class_id = -1;  // index into the model's label list
  float score = 0;    // confidence in [0, 1]
  Box box;            // original-image pixels, clipped to the image
};

using Detections = std::vector<Detection>;

}  // namespace rvm
