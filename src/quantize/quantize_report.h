// QuantizeReport: what `rvm-edge quantize` did and whether the quantized
// model passed the accuracy gate, stored as JSON next to the model
// (<model>.report.json). The detector's quantization gate reads two fields
// of it: "model_sha256" (must match the model file) and "passed".
// Plain value type; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rvm::quantize {

struct ClassAp {
  std::string name;
  int truth_boxes = 0;
  double fp32 = 0, int8 = 0;  // AP@0.5 in [0, 1]
};

struct QuantizeReport {
  std::string model_path, model_sha256;
  std::string fp32_model_path, fp32_model_sha256;
  std::string method;
  bool per_channel = true;
  std::vector<std::string> calibration_images, evaluation_images;
  int calibration_images_read = 0;
  std::vector<std::string> quantized_tensors, excluded_tensors;
  int quantized_weights = 0, integer_ops = 0;
  int weight_bits = 8;
  // Float fallback: activation groups in all, how many lead in float, and
  // each bisection step's result on the calibration images.
  int activation_groups = 0, fallback_float_groups = 0;
  struct FallbackStep {
    int float_groups = 0;
    double agreement = 0, map_drop_points = 0;
    bool passed = false;
  };
  std::vector<FallbackStep> fallback_steps;
  // Accuracy on the evaluation images.
  double agreement = 0;
  int agreement_matched = 0, fp32_detections = 0, int8_detections = 0;
  float agreement_conf = 0;
  std::vector<ClassAp> ap;  // classes named both in the labels and the model
  double map_fp32 = 0, map_int8 = 0;
  bool has_map = false;
  // Gate.
  double min_agreement = 0.95, max_map_drop_points = 1.0;
  bool passed = false;
  std::vector<std::string> failures;  // why it did not pass
  // Bare inference medians (ms) on this machine, timed side by side; 0 = not timed.
  double fp32_ms_median = 0, int8_ms_median = 0;
  double speedup() const { return int8_ms_median > 0 ? fp32_ms_median / int8_ms_median : 0; }
  // Seconds.
  double calibration_s = 0, rewrite_s = 0, evaluation_s = 0, total_s = 0;

  double map_drop_points() const { return has_map ? (map_fp32 - map_int8) * 100.0 : 0.0; }
  nlohmann::json ToJson() const;
};

// "<model>.report.json".
std::string ReportPathFor(const std::string& model_path);

}  // namespace rvm::quantize
