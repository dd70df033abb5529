// ImageTransform: the affine map between a source image's pixels and a model
// input's pixels, as produced by letterboxing or plain resizing. Detections are
// decoded in input pixels and mapped back through ToSource(). Pure value type.
#pragma once

#include "vision/detection.h"

namespace rvm {

// How a source image is fitted into the model's input rectangle.
enum class ResizeMode {
  kLetterboxTopLeft,  // keep aspect ratio, image at top-left, pad right/bottom (YOLOX)
  kLetterboxCenter,   // keep aspect ratio, image centered, pad both sides (YOLOv5/v8)
  kStretch,           // plain resize to the input size, aspect ratio not kept (FastestDet)
};

const char* ResizeModeName(ResizeMode mode);

// input = source * scale + pad, per axis. The resized image occupies
// [pad_x, pad_x + resized_w) x [pad_y, pad_y + resized_h) of the input.
struct ImageTransform {
  int source_w = 0, source_h = 0;
  int input_w = 0, input_h = 0;
  int resized_w = 0, resized_h = 0;
  int pad_x = 0, pad_y = 0;
  float scale_x = 1, scale_y = 1;

  // Maps a box from input pixels to source pixels and clips it to the source image.
  Box ToSource(const Box& input_box) const;
  // Maps a box from source pixels to input pixels (no clipping).
  Box ToInput(const Box& source_box) const;
};

// Computes the transform for fitting a source_w x source_h image into an
// input_w x input_h model input. Both sizes must be positive.
ImageTransform ComputeTransform(int source_w, int source_h, int input_w, int input_h,
                                ResizeMode mode);

}  // namespace rvm
