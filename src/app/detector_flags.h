// Command-line flags shared by every subcommand that loads a detector, and
// the image-list expansion they share.
#pragma once

#include <string>
#include <vector>

#include "app/command.h"
#include "config/config.h"
#include "inference/detector.h"

namespace rvm::app {

struct DetectorFlags {
  std::string model;
  std::string labels;
  std::string backend = "ort";
  std::string family = "auto";
  // Defaults: the [detector] keys' (config/config.h), as the service has them.
  double conf = DetectorConfig{}.conf_threshold;
  float iou = static_cast<float>(DetectorConfig{}.nms_iou);
  int max_detections = DetectorConfig{}.max_detections;
  int threads = 2;
  bool spin = false;
  std::string cache_dir;  // "" = default location; "none" = off
  double max_megapixels = 50;
  bool force_int8 = false;  // load a quantized model without a passing accuracy report
  std::string roi;          // "x0,y0,x1,y1" fractions of the image; "" = the whole image
  // Execution providers and their settings; defaults from config/execution_providers.h.
  ExecutionProviderOptions execution;
  std::string execution_providers = "cpu";  // comma-separated, "tensorrt,cuda,cpu"
};

// The model used when --model is not given: $RVM_EDGE_MODEL, else the
// default model file (config/default_model.h) found under, in turn, the
// installation's data directory (<bin>/../share/rvm-edge), the source tree
// and the shared data directory the build was configured with; when none
// has it, the source tree's path (so the error names where it belongs).
std::string DefaultModelPath();

void AddDetectorFlags(CLI::App& cmd, DetectorFlags& flags);
Result<DetectorOptions> ToDetectorOptions(const DetectorFlags& flags);

// Expands files and directories (non-recursive, image extensions only, name
// order) into a list of image paths. Files named explicitly are kept whatever
// their extension, so a wrong file gets an error record rather than vanishing.
Result<std::vector<std::string>> ExpandImageArgs(const std::vector<std::string>& args);

// One line describing a loaded model, for stderr: family, input, labels,
// backend, the execution provider that runs it, load time and cache.
std::string DescribeModel(const DetectorModel& model);

// The execution providers left out, one line each naming it and why; to be
// printed or logged (as warnings) before DescribeModel's line.
const std::vector<std::string>& ProviderNotes(const DetectorModel& model);

}  // namespace rvm::app
