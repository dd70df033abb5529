// Preprocessor: fits a BGR8 image into a model's NCHW float input in one pass
// (bilinear resize + letterbox padding + channel reorder + scaling), writing
// straight into a caller-owned tensor.
//
// Why a hand-written resize: cv::resize allocates its coefficient tables and
// buffers on every call (2-3 heap allocations per frame) and is followed by a
// second pass for the layout conversion. Here the tables live in the
// Preprocessor and are rebuilt only when the source size changes, so the
// steady state does not allocate. Each output row is made by blending two
// source rows vertically (contiguous, vectorised) and then sampling that row
// horizontally straight into the three planes.
// Bilinear sampling follows OpenCV's INTER_LINEAR convention
// (src = (dst + 0.5) / scale - 0.5, edges clamped).
//
// Thread-compatible: one Preprocessor per thread.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "vision/image_transform.h"
#include "vision/model_family.h"

namespace rvm {

class Preprocessor {
 public:
  explicit Preprocessor(const InputSpec& spec);

  const InputSpec& spec() const { return spec_; }
  // Floats per image in the tensor: 3 * height * width.
  size_t tensor_size() const { return 3 * static_cast<size_t>(spec_.width) * spec_.height; }

  // Writes `bgr` (CV_8UC3, any size, may be a ROI) into `tensor`
  // (tensor_size() floats, planar C,H,W) and returns the source->input map.
  ImageTransform Run(const cv::Mat& bgr, float* tensor);

 private:
  void PrepareTables(const ImageTransform& t);

  InputSpec spec_;
  // Tables for the current source size.
  int table_src_w_ = -1, table_src_h_ = -1;
  ImageTransform table_transform_;
  std::vector<int> x_offset_;    // per resized column: byte offset of the left source pixel
  std::vector<float> x_weight_;  // per resized column: weight of the right source pixel
  std::vector<int> y_index_;     // per resized row: upper source row
  std::vector<float> y_weight_;  // per resized row: weight of the lower source row
  // One vertically blended source row (interleaved BGR floats).
  std::vector<float> row_;
};

}  // namespace rvm
