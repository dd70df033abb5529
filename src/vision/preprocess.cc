#include "vision/preprocess.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rvm {

Preprocessor::Preprocessor(const InputSpec& spec) : spec_(spec) {
  assert(spec.width > 0 && spec.height > 0);
  row_a_.resize(3 * static_cast<size_t>(spec.width));
  row_b_.resize(3 * static_cast<size_t>(spec.width));
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

void Preprocessor::HorizontalPass(const uint8_t* src, float* dst) const {
  const int n = table_transform_.resized_w;
  const int last = 3 * (table_src_w_ - 1);
  for (int i = 0; i < n; ++i) {
    const int o = x_offset_[i];
    const int o2 = std::min(o + 3, last);
    const float w = x_weight_[i];
    for (int c = 0; c < 3; ++c) {
      const float a = src[o + c];
      dst[3 * i + c] = a + w * (static_cast<float>(src[o2 + c]) - a);
    }
  }
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
  int row_a_src = -1, row_b_src = -1;
  for (int y = 0; y < t.resized_h; ++y) {
    const int y0 = y_index_[y];
    const int y1 = std::min(y0 + 1, t.source_h - 1);
    // Keep row_a_ = source row y0 and row_b_ = source row y1, reusing work.
    if (row_a_src != y0) {
      if (row_b_src == y0) {
        std::swap(row_a_, row_b_);
        row_a_src = y0;
        row_b_src = -1;
      } else {
        HorizontalPass(bgr.ptr<uint8_t>(y0), row_a_.data());
        row_a_src = y0;
      }
    }
    if (row_b_src != y1) {
      HorizontalPass(bgr.ptr<uint8_t>(y1), row_b_.data());
      row_b_src = y1;
    }
    const float wy = y_weight_[y];
    const float* ra = row_a_.data();
    const float* rb = row_b_.data();
    const size_t row_start = static_cast<size_t>(t.pad_y + y) * in_w;
    for (int c = 0; c < 3; ++c) {
      float* out = planes[c] + row_start;
      std::fill(out, out + t.pad_x, pad);
      float* img = out + t.pad_x;
      for (int x = 0; x < t.resized_w; ++x) {
        const float a = ra[3 * x + c];
        img[x] = (a + wy * (rb[3 * x + c] - a)) * scale;
      }
      std::fill(img + t.resized_w, out + in_w, pad);
    }
  }
  return t;
}

}  // namespace rvm
