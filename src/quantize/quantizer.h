// QuantizeModel: FP32 ONNX detector in, INT8 QDQ model plus accuracy report
// out. The steps:
//   1. list the images (name order) and split them: every k-th image is held
//      out for evaluation, the rest (up to max_images) calibrate; or, when an
//      evaluation directory is given, all of the calibration directory
//      calibrates and the other directory evaluates. The two sets never meet.
//   2. upgrade the model to opset 13, choose the tensors to quantize
//      (qdq_rewriter.h), run the float model over the calibration images
//      (calibrator.h) and derive each tensor's range with the chosen method;
//   3. rewrite to QDQ, check with the ONNX checker, write the model;
//   4. run both models through the Detector on the evaluation images:
//      agreement and, where YOLO labels exist, AP@0.5 per shared class;
//   5. write <out>.report.json with passed = agreement >= min_agreement and
//      mAP drop <= max_map_drop_points.
// A failed gate is not an error of this function: the report says passed =
// false and why. Errors are bad input (no quantizable operators, already
// quantized, too few readable images, unwritable output) and I/O failures.
//
// Thread-compatible; runs on the calling thread (plus ONNX Runtime's pool).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "quantize/qdq_rewriter.h"
#include "quantize/quantize_report.h"
#include "quantize/tensor_stats.h"

namespace rvm::quantize {

struct QuantizeOptions {
  std::string model_path;
  std::string calibration_dir;
  std::string eval_dir;  // empty: hold out every eval_every-th calibration image
  std::string out_path;
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.999;
  QdqOptions qdq;
  // Conv inputs whose quantization noise would exceed this many output
  // quantization steps stay float (see NoiseAmplifyingInputs); 0 = off.
  double max_noise_gain = 0;
  int max_images = 0;  // calibration images at most; 0 = all
  int eval_every = 4;
  int min_calibration_images = 10;
  int threads = 2;
  std::string labels_path;  // model labels; empty: as the detector finds them
  std::string family = "auto";
  float agreement_conf = 0.4f;  // the service's confidence threshold
  double min_agreement = 0.95;
  double max_map_drop_points = 1.0;
  // Progress lines ("calibrating 10/75 ..."); may be empty.
  std::function<void(const std::string&)> progress;
};

Result<QuantizeReport> QuantizeModel(const QuantizeOptions& options);

// Image files (jpg, jpeg, png, bmp) directly inside `dir`, in name order.
Result<std::vector<std::string>> ListImages(const std::string& dir, const std::string& what);

}  // namespace rvm::quantize
