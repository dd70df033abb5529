// `rvm-edge quantize`: FP32 ONNX detector -> INT8 QDQ model calibrated on the
// operator's own images, with an accuracy report beside it; exits non-zero
// when the quantized model fails the accuracy gate (see quantize/quantizer.h).
#include <iostream>

#include <fmt/format.h>

#include "app/commands.h"
#include "app/option_checks.h"
#include "quantize/quantizer.h"

namespace rvm::app {
namespace {

struct QuantizeFlags {
  quantize::QuantizeOptions options;
  std::string method = "minmax";
  std::vector<std::string> keep_float;
  std::vector<std::string> ops;
  int weight_bits = 0;  // 0: quantize::DefaultWeightBits()
  bool json = false;
};

int RunQuantize(QuantizeFlags& f) {
  quantize::QuantizeOptions& o = f.options;
  auto method = quantize::ParseCalibrationMethod(f.method);
  if (!method.ok()) {
    std::cerr << "rvm-edge quantize: " << method.status().message() << "\n";
    return kExitUsage;
  }
  o.method = *method;
  o.qdq.keep_float = f.keep_float;
  const int bits = f.weight_bits == 0 ? quantize::DefaultWeightBits() : f.weight_bits;
  o.qdq.weight_max = bits == 8 ? 127 : 63;
  if (!f.ops.empty()) o.qdq.op_types = {f.ops.begin(), f.ops.end()};
  if (!f.json) o.progress = [](const std::string& s) { std::cerr << "quantize: " << s << "\n"; };
  auto report = quantize::QuantizeModel(o);
  if (!report.ok()) {
    std::cerr << "rvm-edge quantize: " << report.status().message() << "\n";
    return report.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFatal;
  }
  const quantize::QuantizeReport& r = *report;
  if (f.json) {
    std::cout << r.ToJson().dump() << "\n";
  } else {
    std::cout << fmt::format("wrote {} ({} tensors quantized, {} weights int8, {} integer ops)\n",
                             r.model_path, r.quantized_tensors.size(), r.quantized_weights,
                             r.integer_ops);
    std::cout << fmt::format(
        "weights {} bits; float fallback: {} of {} activation groups in float\n", r.weight_bits,
        r.fallback_float_groups, r.activation_groups);
    std::cout << fmt::format("left in float ({}):", r.excluded_tensors.size());
    for (const auto& t : r.excluded_tensors) std::cout << " " << t;
    std::cout << "\n";
    std::cout << fmt::format("calibration: {} of {} images, method {}, {:.1f} s\n",
                             r.calibration_images_read, r.calibration_images.size(), r.method,
                             r.calibration_s);
    std::cout << fmt::format(
        "agreement with FP32 on {} held-out images: {:.2f}% ({} matched, "
        "{} FP32 / {} INT8 detections at conf >= {})\n",
        r.evaluation_images.size(), 100 * r.agreement, r.agreement_matched, r.fp32_detections,
        r.int8_detections, r.agreement_conf);
    for (const auto& c : r.ap) {
      std::cout << fmt::format("AP@0.5 {:<12} FP32 {:.4f}  INT8 {:.4f}  ({} boxes)\n", c.name,
                               c.fp32, c.int8, c.truth_boxes);
    }
    if (r.has_map) {
      std::cout << fmt::format("mAP@0.5 drop: {:.2f} points\n", r.map_drop_points());
    } else {
      std::cout << "mAP@0.5: no labels for the model's classes beside the evaluation images\n";
    }
    if (r.int8_ms_median > 0) {
      std::cout << fmt::format("inference median: FP32 {:.2f} ms, INT8 {:.2f} ms: {:.2f}x\n",
                               r.fp32_ms_median, r.int8_ms_median, r.speedup());
      if (r.speedup() < 1.0) {
        std::cout << "note: the INT8 model is slower than the FP32 one on this machine; the FP32 "
                     "model serves better here\n";
      }
    }
    std::cout << fmt::format("report: {} ({:.1f} s in all)\n",
                             quantize::ReportPathFor(r.model_path), r.total_s);
  }
  if (!r.passed) {
    std::cerr << "rvm-edge quantize: the INT8 model fails the accuracy gate:";
    for (const auto& why : r.failures) std::cerr << " " << why << ";";
    std::cerr << " the service will refuse it\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void RegisterQuantizeCommand(CLI::App& root, CommandAction& action) {
  auto f = std::make_shared<QuantizeFlags>();
  quantize::QuantizeOptions& o = f->options;
  CLI::App* cmd = root.add_subcommand(
      "quantize", "Quantize an FP32 ONNX detector to INT8 (QDQ), gated on accuracy");
  cmd->add_option("--model", o.model_path, "FP32 ONNX model")->required();
  cmd->add_option("--calibration", o.calibration_dir, "Directory of calibration images")
      ->required();
  cmd->add_option("--out", o.out_path, "Output INT8 model (report: <out>.report.json)")->required();
  cmd->add_option("--method", f->method, "Calibration: minmax, percentile or entropy")
      ->capture_default_str();
  cmd->add_option("--percentile", o.percentile, "Percentile for --method percentile")
      ->check(NumberIn(50, 100))
      ->capture_default_str();
  cmd->add_flag("--per-channel,!--per-tensor", o.qdq.per_channel,
                "Conv weights per output channel (default) or per tensor");
  cmd->add_option("--weight-bits", f->weight_bits,
                  "Weight precision: 8, or 7 (exact on x86 without VNNI); default: 8 where the "
                  "CPU's integer dot products do not saturate (VNNI, Arm), else 7")
      ->check(CLI::IsMember({7, 8}));
  cmd->add_option("--max-noise-gain", o.max_noise_gain,
                  "Keep Conv inputs float when their noise would exceed this many output steps "
                  "(0: off)")
      ->check(NotNegative())
      ->capture_default_str();
  cmd->add_flag("--float-fallback,!--no-float-fallback", o.float_fallback,
                "When the model fails the gate on calibration images, keep the fewest leading "
                "activation groups in float that pass (default on)");
  cmd->add_flag("--float-silu", o.qdq.float_silu,
                "Leave SiLU inputs and sigmoids in float, quantize only SiLU outputs");
  cmd->add_option("--max-images", o.max_images, "Calibration images at most (0: all)")
      ->check(NotNegative());
  cmd->add_option("--eval", o.eval_dir,
                  "Evaluation images (default: every --eval-every'th calibration image, held out)");
  cmd->add_option("--eval-every", o.eval_every, "Hold out every k-th image for evaluation")
      ->check(NumberIn(2, 1000))
      ->capture_default_str();
  cmd->add_option("--min-images", o.min_calibration_images, "Fewest readable calibration images")
      ->check(NumberIn(1, 100000))
      ->capture_default_str();
  cmd->add_option("--min-agreement", o.min_agreement, "Gate: least agreement with FP32 (0..1)")
      ->check(NumberIn(0, 1))
      ->capture_default_str();
  cmd->add_option("--max-map-drop", o.max_map_drop_points, "Gate: largest mAP@0.5 drop (points)")
      ->check(NotNegative())
      ->capture_default_str();
  cmd->add_option("--conf", o.agreement_conf, "Confidence threshold the agreement is taken at")
      ->check(NumberIn(0, 1))
      ->capture_default_str();
  cmd->add_option("--labels", o.labels_path,
                  "Model label list (default: as the detector finds it)");
  cmd->add_option("--family", o.family, "Model family (auto, yolox, yolov5, yolov8, fastestdet)")
      ->capture_default_str();
  cmd->add_option("--threads", o.threads, "ONNX Runtime threads")
      ->check(NumberIn(1, 256))
      ->capture_default_str();
  cmd->add_option("--keep-float", f->keep_float, "More tensors to leave in float");
  cmd->add_option("--ops", f->ops,
                  "Operators whose activations are quantized (default: "
                  "Conv MatMul Gemm Add Mul Concat pools Sigmoid LeakyRelu Resize)");
  cmd->add_option("--speed-iterations", o.speed_iterations,
                  "Bare inferences of each model timed for the report (0: skip)")
      ->check(NotNegative())
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as one JSON object");
  cmd->callback([f, &action] { action = [f] { return RunQuantize(*f); }; });
}

}  // namespace rvm::app
