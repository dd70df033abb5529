#include "quantize/quantize_report.h"

#include <cmath>

namespace rvm::quantize {
namespace {

double Round(double v, double unit) { return std::round(v / unit) * unit; }

}  // namespace

std::string ReportPathFor(const std::string& model_path) { return model_path + ".report.json"; }

nlohmann::json QuantizeReport::ToJson() const {
  nlohmann::json ap_json = nlohmann::json::array();
  for (const ClassAp& c : ap) {
    ap_json.push_back({{"class", c.name},
                       {"truth_boxes", c.truth_boxes},
                       {"fp32", Round(c.fp32, 1e-4)},
                       {"int8", Round(c.int8, 1e-4)}});
  }
  nlohmann::json steps = nlohmann::json::array();
  for (const FallbackStep& f : fallback_steps) {
    steps.push_back({{"float_groups", f.float_groups},
                     {"agreement", Round(f.agreement, 1e-4)},
                     {"map_drop_points", Round(f.map_drop_points, 1e-3)},
                     {"passed", f.passed}});
  }
  nlohmann::json j = {
      {"model", model_path},
      {"model_sha256", model_sha256},
      {"fp32_model", fp32_model_path},
      {"fp32_model_sha256", fp32_model_sha256},
      {"method", method},
      {"per_channel", per_channel},
      {"weights", "int8 symmetric"},
      {"weight_bits", weight_bits},
      {"activations", "uint8 asymmetric per tensor"},
      {"calibration_images", calibration_images.size()},
      {"calibration_images_read", calibration_images_read},
      {"evaluation_images", evaluation_images},
      {"quantized_tensors", quantized_tensors.size()},
      {"quantized_weights", quantized_weights},
      {"integer_ops", integer_ops},
      {"excluded_tensors", excluded_tensors},
      {"float_fallback",
       {{"activation_groups", activation_groups},
        {"float_groups", fallback_float_groups},
        {"search_on_calibration_images", steps}}},
      {"agreement",
       {{"value", Round(agreement, 1e-4)},
        {"matched", agreement_matched},
        {"fp32_detections", fp32_detections},
        {"int8_detections", int8_detections},
        {"conf_threshold", agreement_conf},
        {"iou_threshold", 0.5}}},
      {"ap50", ap_json},
      {"thresholds",
       {{"min_agreement", min_agreement}, {"max_map_drop_points", max_map_drop_points}}},
      {"speed",
       {{"fp32_ms_median", Round(fp32_ms_median, 1e-3)},
        {"int8_ms_median", Round(int8_ms_median, 1e-3)},
        {"speedup", Round(speedup(), 1e-3)}}},
      {"passed", passed},
      {"failures", failures},
      {"seconds",
       {{"calibration", Round(calibration_s, 1e-3)},
        {"rewrite", Round(rewrite_s, 1e-3)},
        {"evaluation", Round(evaluation_s, 1e-3)},
        {"total", Round(total_s, 1e-3)}}},
  };
  if (has_map) {
    j["map50"] = {{"fp32", Round(map_fp32, 1e-4)},
                  {"int8", Round(map_int8, 1e-4)},
                  {"drop_points", Round(map_drop_points(), 1e-3)}};
  } else {
    j["map50"] = nullptr;
  }
  return j;
}

}  // namespace rvm::quantize
