#include "vision/preprocess.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rvm {

Preprocessor::Preprocessor(const InputSpec& spec) : spec_(spec) {
  assert(spec.width > 0 && spec.height > 0);
}

namespace {

// Source coordinate tables for one axis (OpenCV INTER_LINEAR convention).
void AxisTable(int src, int dst, std::vector<int>& index, std::vector<float>& weight) {
  index.resize(dst);
  weight.resize(dst);
  const double inv = static_cast<double>(src) / dst;
  for (int i = 0; i < dst; ++i) {
    double f = (i + 0.5) * inv - 0.5;
    int i0 = static_cast<int>(std::floor(f));
    double w = f - i0;
    if (i0 < 0) {
      i0 = 0;
      w = 0;
    }
    if (i0 >= src - 1) {
      i0 = src - 1;
      w = 0;
    }
    index[i] = i0;
    weight[i] = static_cast<float>(w);
  }
}

}  // namespace

void Preprocessor::PrepareTables(const ImageTransform& t) {
  AxisTable(t.source_w, t.resized_w, x_offset_, x_weight_);
  for (int& x : x_offset_) x *= 3;
  AxisTable(t.source_h, t.resized_h, y_index_, y_weight_);
  table_src_w_ = t.source_w;
  table_src_h_ = t.source_h;
  table_transform_ = t;
}

ImageTransform Preprocessor::Run(const cv::Mat& bgr, float* tensor) {
  assert(bgr.type() == CV_8UC3 && !bgr.empty());
  const int in_w = spec_.width, in_h = spec_.height;
  if (bgr.cols != table_src_w_ || bgr.rows != table_src_h_) {
    PrepareTables(ComputeTransform(bgr.cols, bgr.rows, in_w, in_h, spec_.resize));
  }
  const ImageTransform& t = table_transform_;
  const size_t plane = static_cast<size_t>(in_w) * in_h;
  // Destination plane for each source channel (source is BGR).
  float* planes[3];
  for (int c = 0; c < 3; ++c) planes[c] = tensor + plane * (spec_.rgb ? 2 - c : c);
  const float pad = spec_.pad_value * spec_.scale;
  const float scale = spec_.scale;

  // Padding rows above and below the image.
  for (int c = 0; c < 3; ++c) {
    std::fill(planes[c], planes[c] + static_cast<size_t>(t.pad_y) * in_w, pad);
    std::fill(planes[c] + static_cast<size_t>(t.pad_y + t.resized_h) * in_w, planes[c] + plane,
              pad);
  }
  const int row_len = 3 * t.source_w;
  if (row_.size() < static_cast<size_t>(row_len)) row_.resize(row_len);
  float* row = row_.data();
  const int last = 3 * (t.source_w - 1);
  for (int y = 0; y < t.resized_h; ++y) {
    const int y0 = y_index_[y];
    const int y1 = std::min(y0 + 1, t.source_h - 1);
    const float wy = y_weight_[y];
    const uint8_t* a = bgr.ptr<uint8_t>(y0);
    const uint8_t* b = bgr.ptr<uint8_t>(y1);
    // Vertical blend of two source rows: contiguous, so it vectorises.
    for (int k = 0; k < row_len; ++k) {
      const float fa = a[k];
      row[k] = fa + wy * (static_cast<float>(b[k]) - fa);
    }
    const size_t row_start = static_cast<size_t>(t.pad_y + y) * in_w;
    float* out0 = planes[0] + row_start;
    float* out1 = planes[1] + row_start;
    float* out2 = planes[2] + row_start;
    std::fill(out0, out0 + t.pad_x, pad);
    std::fill(out1, out1 + t.pad_x, pad);
    std::fill(out2, out2 + t.pad_x, pad);
    // Horizontal sampling straight into the three planes.
    for (int x = 0; x < t.resized_w; ++x) {
      const int o = x_offset_[x];
      const int o2 = std::min(o + 3, last);
      const float wx = x_weight_[x];
      const int dx = t.pad_x + x;
      out0[dx] = (row[o] + wx * (row[o2] - row[o])) * scale;
      out1[dx] = (row[o + 1] + wx * (row[o2 + 1] - row[o + 1])) * scale;
      out2[dx] = (row[o + 2] + wx * (row[o2 + 2] - row[o + 2])) * scale;
    }
    const int right = t.pad_x + t.resized_w;
    std::fill(out0 + right, out0 + in_w, pad);
    std::fill(out1 + right, out1 + in_w, pad);
    std::fill(out2 + right, out2 + in_w, pad);
  }
  return t;
}

}  // namespace rvm
