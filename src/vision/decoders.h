// Decoders turn one image's raw output tensor into candidate detections in
// model-input pixels, before NMS. One function per model family; all pure,
// allocation-free once `out` has capacity (they append to it).
#pragma once

#include <vector>

#include "vision/detection.h"
#include "vision/model_family.h"

namespace rvm {

// YOLOX: data is [N, 5+C]; per grid point over strides 8, 16, 32 (row-major
// within each stride): raw cx, cy (grid offsets), log w, log h, objectness and
// class probabilities (already sigmoid). Score = objectness * best class prob.
void DecodeYoloX(const float* data, const OutputLayout& layout, int input_w, int input_h,
                 float conf_threshold, std::vector<Detection>& out);

// YOLOv5/v7: data is [N, 5+C]: cx, cy, w, h in input pixels, objectness,
// class probabilities. Score = objectness * best class prob.
void DecodeYoloV5(const float* data, const OutputLayout& layout, float conf_threshold,
                  std::vector<Detection>& out);

// YOLOv8/YOLO11: data is [4+C, N] (features first): cx, cy, w, h in input
// pixels, then class scores; no objectness. `best_score`/`best_class` are
// scratch of any size (resized to N).
void DecodeYoloV8(const float* data, const OutputLayout& layout, float conf_threshold,
                  std::vector<float>& best_score, std::vector<int>& best_class,
                  std::vector<Detection>& out);

// FastestDet: data is [5+C, H, W]: per cell objectness, x/y offsets (tanh),
// w/h (sigmoid, fractions of the input), class scores. Score = objectness *
// best class score.
void DecodeFastestDet(const float* data, const OutputLayout& layout, int input_w, int input_h,
                      float conf_threshold, std::vector<Detection>& out);

}  // namespace rvm
