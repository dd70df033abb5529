// QuantizeModel: FP32 ONNX detector in, INT8 QDQ model plus accuracy report
// out. The steps:
//   1. list the images (name order) and split them: every k-th image is held
//      out for evaluation, the rest (up to max_images) calibrate; or, when an
//      evaluation directory is given, all of the calibration directory
//      calibrates and the other directory evaluates. The two sets never meet.
//   2. upgrade the model to opset 13, choose the tensors to quantize
//      (qdq_rewriter.h), run the float model over the calibration images
//      (calibrator.h) and derive each tensor's range with the chosen method;
//   3. rewrite to QDQ, check with the ONNX checker, write the model; with
//      the float fallback on, when the model fails the gate on calibration
//      images, keep the first K activation groups (an activation function's
//      tensors, in graph order: the early, high-resolution layers, whose
//      ranges are widest, are the most sensitive) in float, K the smallest
//      that passes, found by bisection (FallbackGroups below);
//   4. run both models through the Detector on the evaluation images:
//      agreement and, where YOLO labels exist, AP@0.5 per shared class;
//   5. time bare inference of both models, alternating (the report's
//      speedup; informational: the gate is about accuracy);
//   6. write <out>.report.json with passed = agreement >= min_agreement and
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

#include <onnx/onnx_pb.h>
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
  double max_noise_gain = 4;
  // Float fallback: when the fully quantized model fails the gate on the
  // calibration images, leave the fewest leading activation groups in float
  // that make it pass there (the held-out images still decide the gate).
  bool float_fallback = true;
  int fallback_images = 48;  // calibration images the fallback search uses, at most
  // Bare inferences of each model timed for the report's speed figures (0: none).
  int speed_iterations = 40;
  int max_images = 0;  // calibration images at most; 0 = all
  int eval_every = 4;
  int min_calibration_images = 10;
  int threads = 2;
  std::string labels_path;  // model labels; empty: as the detector finds them
  std::string family = "auto";
  // Score at which detections are matched for the agreement; the gate was measured at 0.4
  // (docs/quantization.md), above the service's detector.conf_threshold default of 0.25.
  float agreement_conf = 0.4f;
  double min_agreement = 0.95;
  double max_map_drop_points = 1.0;
  // Progress lines ("calibrating 10/75 ..."); may be empty.
  std::function<void(const std::string&)> progress;
};

Result<QuantizeReport> QuantizeModel(const QuantizeOptions& options);

// The quantized activation tensors grouped by activation function: tensors
// joined by an elementwise activation operator (Sigmoid and Mul of a SiLU,
// Relu, Clip, ...) form one group. Groups come in graph order of their first
// producer; tensors outside `quantized` are ignored.
std::vector<std::vector<std::string>> ActivationGroups(const onnx::GraphProto& graph,
                                                       const std::vector<std::string>& quantized);

// 8 on CPUs whose integer dot products do not saturate (x86 with VNNI, Arm),
// else 7 (x86 AVX2 multiplies u8 x s8 pairs into a saturating 16-bit sum).
int DefaultWeightBits();

// Image files (jpg, jpeg, png, bmp) directly inside `dir`, in name order.
Result<std::vector<std::string>> ListImages(const std::string& dir, const std::string& what);

}  // namespace rvm::quantize
