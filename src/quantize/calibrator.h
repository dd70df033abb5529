// Calibrator: runs the float model over calibration images and collects
// statistics (see tensor_stats.h) of the activation tensors to be quantized.
//
// The model is copied with every such tensor added to the graph outputs and
// run with ONNX Runtime on the CPU. Images are decoded and preprocessed
// exactly as the Detector does it (ImageDecoder with the same reduced-scale
// JPEG decode, then Preprocessor with the model's InputSpec), so the ranges
// describe what the service will feed the model. Memory stays bounded: one
// image's activations at a time plus a fixed histogram per tensor.
//
// Thread-compatible: one call at a time per Calibrator.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "quantize/tensor_stats.h"
#include "vision/model_family.h"

namespace rvm::quantize {

struct CalibrationOptions {
  InputSpec input;      // the detector's preprocessing for this model
  int threads = 2;      // ONNX Runtime intra-op threads
  int min_images = 10;  // fewer readable images is an error
  int64_t max_image_pixels = 50'000'000;
};

struct CalibrationResult {
  std::map<std::string, TensorStats> stats;  // per requested tensor
  int images_read = 0;
  std::vector<std::string> skipped;  // "path: why" for unreadable images
  double seconds = 0;
};

Result<CalibrationResult> Calibrate(const onnx::ModelProto& fp32,
                                    const std::vector<std::string>& tensors,
                                    const std::vector<std::string>& images,
                                    const CalibrationOptions& options);

}  // namespace rvm::quantize
