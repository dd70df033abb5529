#include "app/detector_flags.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "app/option_checks.h"
#include "config/config.h"
#include "config/default_model.h"
#include "config/runtime_settings.h"

namespace rvm::app {

std::string DefaultModelPath() {
  namespace fs = std::filesystem;
  if (const char* m = std::getenv("RVM_EDGE_MODEL"); m && *m) return m;
  std::vector<fs::path> roots;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path().parent_path() / RVM_INSTALL_DATA_SUBDIR);
  roots.push_back(RVM_DEFAULT_SOURCE_DIR);
  roots.push_back(RVM_DEFAULT_SHARED_DIR);
  for (const fs::path& root : roots) {
    const fs::path candidate = root / DefaultModelFile();
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return (fs::path(RVM_DEFAULT_SOURCE_DIR) / DefaultModelFile()).string();
}

void AddDetectorFlags(CLI::App& cmd, DetectorFlags& f) {
  f.model = DefaultModelPath();
  cmd.add_option("--model", f.model, "ONNX detection model")->capture_default_str();
  cmd.add_option("--labels", f.labels,
                 "Labels file, one name per line (default: the model's 'names' metadata)");
  cmd.add_option("--backend", f.backend, "Inference backend: ort or opencv")
      ->check(CLI::IsMember({"ort", "opencv"}))
      ->capture_default_str();
  cmd.add_option("--family", f.family,
                 "Model family: auto, yolox, yolov5, yolov7, yolov8, yolo11, fastestdet")
      ->capture_default_str();
  cmd.add_option("--conf", f.conf, "Confidence threshold, [0, 1] (detector.conf_threshold)")
      ->check(NumberIn(0, 1))
      ->capture_default_str();
  cmd.add_option("--iou", f.iou, "NMS IoU threshold")->check(NumberIn(0, 1))->capture_default_str();
  cmd.add_option("--max-detections", f.max_detections, "Cap on detections per image")
      ->check(NumberIn(1, 10000))
      ->capture_default_str();
  cmd.add_option("--threads", f.threads, "Intra-op inference threads")
      ->check(NumberIn(1, 64))
      ->capture_default_str();
  cmd.add_flag("--spin", f.spin, "Let idle inference threads spin (ORT)");
  cmd.add_option("--cache-dir", f.cache_dir,
                 "Optimized-model cache directory ('none' disables; default: user cache dir)");
  cmd.add_flag("--force-int8", f.force_int8,
               "Load a quantized model even without a passing accuracy report for it");
  cmd.add_option("--roi", f.roi,
                 "Region of interest x0,y0,x1,y1 (fractions of the image): images are cropped "
                 "to it before detection, boxes stay in whole-image pixels");
  cmd.add_option("--max-megapixels", f.max_megapixels,
                 "Refuse images larger than this (detector.max_image_pixels, in millions)")
      ->check(NumberIn(static_cast<double>(kMinImagePixelLimit) / 1e6,
                       static_cast<double>(kMaxImagePixelLimit) / 1e6))
      ->capture_default_str();
  f.execution_providers.clear();
  for (const std::string& p : f.execution.providers) {
    f.execution_providers += (f.execution_providers.empty() ? "" : ",") + p;
  }
  cmd.add_option("--execution-providers", f.execution_providers,
                 "ONNX Runtime execution providers, most preferred first: tensorrt,cuda,cpu "
                 "(one that cannot be loaded is skipped with a line saying why)")
      ->capture_default_str();
  cmd.add_flag("--require-gpu", f.execution.require_gpu,
               "Fail instead of skipping a GPU provider that cannot be loaded");
  cmd.add_option("--gpu-device-id", f.execution.gpu_device_id, "CUDA device for cuda and tensorrt")
      ->capture_default_str();
  cmd.add_flag("--tensorrt-fp16", f.execution.tensorrt_fp16, "Let TensorRT run layers in FP16");
  cmd.add_flag("--tensorrt-int8", f.execution.tensorrt_int8,
               "Let TensorRT run layers in INT8 (for a quantized model)");
  cmd.add_option("--tensorrt-workspace-bytes", f.execution.tensorrt_workspace_bytes,
                 "GPU scratch memory for building TensorRT engines, bytes (0 = TensorRT's default)")
      ->capture_default_str();
}

Result<DetectorOptions> ToDetectorOptions(const DetectorFlags& f) {
  RVM_RETURN_IF_ERROR(CheckConfThreshold(f.conf, "--conf"));
  DetectorOptions o;
  o.engine.model_path = f.model;
  o.engine.backend = f.backend;
  o.engine.threads = f.threads;
  o.engine.spin = f.spin;
  o.engine.cache_dir =
      f.cache_dir.empty() ? DefaultCacheDir() : (f.cache_dir == "none" ? "" : f.cache_dir);
  o.engine.execution = f.execution;
  o.engine.execution.providers = SplitProviderList(f.execution_providers);
  for (const ExecutionProviderProblem& p : ExecutionProviderProblems(o.engine.execution)) {
    std::string flag = "--" + p.key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return InvalidArgument(flag + " " + p.value + ": " + p.problem);
  }
  o.labels_path = f.labels;
  auto family = ParseModelFamily(f.family);
  if (!family.ok()) return family.status();
  o.family = *family;
  o.post = PostprocessOptions{static_cast<float>(f.conf), f.iou, f.max_detections};
  o.max_image_pixels = std::llround(f.max_megapixels * 1e6);
  o.allow_unverified_int8 = f.force_int8;
  if (!f.roi.empty()) {
    auto roi = ParseRoi(f.roi, "--roi");
    if (!roi.ok()) return roi.status();
    o.roi = *roi;
  }
  return o;
}

Result<std::vector<std::string>> ExpandImageArgs(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  static const std::vector<std::string> kExt = {".jpg",  ".jpeg", ".png", ".bmp",
                                                ".webp", ".tif",  ".tiff"};
  std::vector<std::string> out;
  for (const std::string& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(a, ec)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (e.is_regular_file() && std::find(kExt.begin(), kExt.end(), ext) != kExt.end()) {
          files.push_back(e.path().string());
        }
      }
      if (ec) return IoError("directory '" + a + "': cannot list: " + ec.message());
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(a);  // missing files become error records later
    }
  }
  return out;
}

std::string DescribeModel(const DetectorModel& m) {
  const ModelInfo& i = m.info();
  std::string cache = i.cache;
  if (!i.cache_detail.empty()) cache += ": " + i.cache_detail;
  // ONNX Runtime gives the first provider every node it runs, the next ones the rest.
  std::string provider = i.execution_provider();
  if (i.execution_providers.size() > 1) {
    provider += " (then";
    for (size_t k = 1; k < i.execution_providers.size(); ++k) {
      provider += (k > 1 ? ", " : " ") + i.execution_providers[k];
    }
    provider += ")";
  }
  std::string text = fmt::format(
      "model {}: {} {}x{}, {} classes (labels: {}), backend {} on {}, loaded in {:.1f} ms (cache "
      "{})",
      std::filesystem::path(i.path).filename().string(), ModelFamilyName(m.layout().family),
      i.input_width, i.input_height, m.layout().num_classes, m.labels_source(), i.backend,
      provider, i.load_ms, cache);
  if (!m.quantization().empty()) text += "; " + m.quantization();
  return text;
}

const std::vector<std::string>& ProviderNotes(const DetectorModel& m) {
  return m.info().provider_notes;
}

}  // namespace rvm::app
