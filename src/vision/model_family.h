// Detection model families, how each wants its input prepared, and how the
// family is recognised from a model's output shape.
// Pure functions; no model runtime involved.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "vision/image_transform.h"

namespace rvm {

enum class ModelFamily {
  kAuto,        // recognise from the output shape
  kYoloX,       // [1, N, 5+C] raw grid outputs over strides 8/16/32, objectness
  kYoloV5,      // [1, N, 5+C] decoded boxes (input pixels), objectness (YOLOv5/v7)
  kYoloV8,      // [1, 4+C, N] decoded boxes, no objectness (YOLOv8/YOLO11)
  kFastestDet,  // [1, 5+C, H, W] per-cell objectness, offsets, class scores
};

const char* ModelFamilyName(ModelFamily family);
// Accepts "auto", "yolox", "yolov5", "yolov7" (same decoder as v5), "yolov8", "yolo11",
// "fastestdet".
Result<ModelFamily> ParseModelFamily(const std::string& name);

// How an image becomes the model's input tensor (always NCHW float32).
struct InputSpec {
  int width = 0, height = 0;
  ResizeMode resize = ResizeMode::kLetterboxCenter;
  bool rgb = true;           // channel order in the tensor: RGB (true) or BGR
  float scale = 1.0f / 255;  // tensor value = pixel * scale
  uint8_t pad_value = 114;   // letterbox padding, in pixel units
};

InputSpec InputSpecFor(ModelFamily family, int input_w, int input_h);

// What a decoder needs to know about the output tensor.
struct OutputLayout {
  ModelFamily family = ModelFamily::kAuto;
  int num_classes = 0;
  int num_anchors = 0;         // N for the YOLO families; H*W for FastestDet
  int grid_w = 0, grid_h = 0;  // FastestDet only
};

// Recognises the family from the output shape (batch dimension first, any
// value) given the input size: 4-D is FastestDet; [1, A, B] with A < B is the
// features-first YOLOv8/YOLO11 layout; otherwise A predictions equal to the
// grid points over strides 8/16/32 mean anchor-free YOLOX, three times that
// means anchor-based YOLOv5/v7. `requested` other than kAuto forces the family
// and only checks that the shape fits it. `known_classes` (0 = unknown) is the
// label count from the model's metadata or a labels file; a mismatch with the
// shape is an error.
Result<OutputLayout> ResolveOutputLayout(const std::vector<int64_t>& output_shape, int input_w,
                                         int input_h, ModelFamily requested, int known_classes);

// Anchor points of an anchor-free model over strides 8, 16, 32.
int GridPointCount(int input_w, int input_h);

std::string ShapeToString(const std::vector<int64_t>& shape);

}  // namespace rvm
