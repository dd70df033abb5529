#include "vision/image_transform.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rvm {

const char* ResizeModeName(ResizeMode mode) {
  switch (mode) {
    case ResizeMode::kLetterboxTopLeft:
      return "letterbox-top-left";
    case ResizeMode::kLetterboxCenter:
      return "letterbox-center";
    case ResizeMode::kStretch:
      return "stretch";
  }
  return "unknown";
}

ImageTransform ComputeTransform(int source_w, int source_h, int input_w, int input_h,
                                ResizeMode mode) {
  assert(source_w > 0 && source_h > 0 && input_w > 0 && input_h > 0);
  ImageTransform t;
  t.source_w = source_w;
  t.source_h = source_h;
  t.input_w = input_w;
  t.input_h = input_h;
  if (mode == ResizeMode::kStretch) {
    t.resized_w = input_w;
    t.resized_h = input_h;
    t.scale_x = static_cast<float>(input_w) / source_w;
    t.scale_y = static_cast<float>(input_h) / source_h;
    return t;
  }
  const float r =
      std::min(static_cast<float>(input_w) / source_w, static_cast<float>(input_h) / source_h);
  t.resized_w = std::clamp(static_cast<int>(std::lround(source_w * r)), 1, input_w);
  t.resized_h = std::clamp(static_cast<int>(std::lround(source_h * r)), 1, input_h);
  // The scale actually applied per axis, after rounding the resized size.
  t.scale_x = static_cast<float>(t.resized_w) / source_w;
  t.scale_y = static_cast<float>(t.resized_h) / source_h;
  if (mode == ResizeMode::kLetterboxCenter) {
    t.pad_x = (input_w - t.resized_w) / 2;
    t.pad_y = (input_h - t.resized_h) / 2;
  }
  return t;
}

Box ImageTransform::ToSource(const Box& b) const {
  const float w = static_cast<float>(source_w), h = static_cast<float>(source_h);
  Box s;
  s.x1 = std::clamp((b.x1 - pad_x) / scale_x, 0.0f, w);
  s.y1 = std::clamp((b.y1 - pad_y) / scale_y, 0.0f, h);
  s.x2 = std::clamp((b.x2 - pad_x) / scale_x, 0.0f, w);
  s.y2 = std::clamp((b.y2 - pad_y) / scale_y, 0.0f, h);
  return s;
}

Box ImageTransform::ToInput(const Box& b) const {
  return Box{b.x1 * scale_x + pad_x, b.y1 * scale_y + pad_y, b.x2 * scale_x + pad_x,
             b.y2 * scale_y + pad_y};
}

}  // namespace rvm
