#include "vision/decoders.h"

#include <cmath>

namespace rvm {
namespace {

// Index and value of the largest of n scores at p[0], p[stride], ...
inline int ArgMax(const float* p, int n, int stride, float* best) {
  int arg = 0;
  float v = p[0];
  for (int i = 1; i < n; ++i) {
    const float s = p[static_cast<size_t>(i) * stride];
    if (s > v) {
      v = s;
      arg = i;
    }
  }
  *best = v;
  return arg;
}

inline Box FromCenter(float cx, float cy, float w, float h) {
  return Box{cx - 0.5f * w, cy - 0.5f * h, cx + 0.5f * w, cy + 0.5f * h};
}

inline float Sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

}  // namespace

void DecodeYoloX(const float* data, const OutputLayout& layout, int input_w, int input_h,
                 float conf_threshold, std::vector<Detection>& out) {
  const int row = 5 + layout.num_classes;
  const float* p = data;
  for (int stride : {8, 16, 32}) {
    const int gw = input_w / stride, gh = input_h / stride;
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw; ++gx, p += row) {
        const float objectness = p[4];
        // Class probabilities are <= 1, so a low objectness can be skipped early.
        if (objectness < conf_threshold) continue;
        float best;
        const int cls = ArgMax(p + 5, layout.num_classes, 1, &best);
        const float score = objectness * best;
        if (score < conf_threshold) continue;
        const float cx = (p[0] + gx) * stride;
        const float cy = (p[1] + gy) * stride;
        const float w = std::exp(p[2]) * stride;
        const float h = std::exp(p[3]) * stride;
        out.push_back({cls, score, FromCenter(cx, cy, w, h)});
      }
    }
  }
}

void DecodeYoloV5(const float* data, const OutputLayout& layout, float conf_threshold,
                  std::vector<Detection>& out) {
  const int row = 5 + layout.num_classes;
  for (int i = 0; i < layout.num_anchors; ++i) {
    const float* p = data + static_cast<size_t>(i) * row;
    if (p[4] < conf_threshold) continue;
    float best;
    const int cls = ArgMax(p + 5, layout.num_classes, 1, &best);
    const float score = p[4] * best;
    if (score < conf_threshold) continue;
    out.push_back({cls, score, FromCenter(p[0], p[1], p[2], p[3])});
  }
}

void DecodeYoloV8(const float* data, const OutputLayout& layout, float conf_threshold,
                  std::vector<float>& best_score, std::vector<int>& best_class,
                  std::vector<Detection>& out) {
  const int n = layout.num_anchors;
  best_score.resize(n);
  best_class.resize(n);
  // Class-major passes walk memory sequentially (the tensor is features-first)
  // and vectorise, unlike a per-anchor argmax that strides by N.
  const float* scores = data + 4 * static_cast<size_t>(n);
  for (int i = 0; i < n; ++i) {
    best_score[i] = scores[i];
    best_class[i] = 0;
  }
  for (int c = 1; c < layout.num_classes; ++c) {
    const float* s = scores + static_cast<size_t>(c) * n;
    for (int i = 0; i < n; ++i) {
      if (s[i] > best_score[i]) {
        best_score[i] = s[i];
        best_class[i] = c;
      }
    }
  }
  for (int i = 0; i < n; ++i) {
    if (best_score[i] < conf_threshold) continue;
    out.push_back({best_class[i], best_score[i],
                   FromCenter(data[i], data[n + i], data[2 * n + i], data[3 * n + i])});
  }
}

void DecodeFastestDet(const float* data, const OutputLayout& layout, int input_w, int input_h,
                      float conf_threshold, std::vector<Detection>& out) {
  const int gw = layout.grid_w, gh = layout.grid_h;
  const size_t plane = static_cast<size_t>(gw) * gh;
  for (int gy = 0; gy < gh; ++gy) {
    for (int gx = 0; gx < gw; ++gx) {
      const size_t cell = static_cast<size_t>(gy) * gw + gx;
      const float objectness = data[cell];
      if (objectness < conf_threshold) continue;
      float best;
      const int cls =
          ArgMax(data + 5 * plane + cell, layout.num_classes, static_cast<int>(plane), &best);
      const float score = objectness * best;
      if (score < conf_threshold) continue;
      const float cx = (gx + std::tanh(data[plane + cell])) / gw * input_w;
      const float cy = (gy + std::tanh(data[2 * plane + cell])) / gh * input_h;
      const float w = Sigmoid(data[3 * plane + cell]) * input_w;
      const float h = Sigmoid(data[4 * plane + cell]) * input_h;
      out.push_back({cls, score, FromCenter(cx, cy, w, h)});
    }
  }
}

}  // namespace rvm
