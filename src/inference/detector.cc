#include "inference/detector.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "base/file_util.h"
#include "config/runtime_settings.h"
#include "inference/quantization_gate.h"
#include "vision/labels.h"

namespace rvm {
namespace {

// A postprocessing error names the model whose output it is.
Status NamingTheModel(const DetectorModel& model, Status s) {
  if (s.ok()) return s;
  return InvalidArgument("model '" + model.options().engine.model_path + "': " + s.message());
}

using SteadyTime = std::chrono::steady_clock::time_point;
SteadyTime Now() { return std::chrono::steady_clock::now(); }
double Ms(SteadyTime a, SteadyTime b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The region of interest of `image` (a view, no copy) and where it starts.
cv::Mat CropToRoi(const cv::Mat& image, const Roi& roi, cv::Point& origin) {
  origin = {0, 0};
  if (roi.whole_frame()) return image;
  const PixelRect r = RoiPixels(roi, image.cols, image.rows);
  origin = {r.x, r.y};
  return image(cv::Rect(r.x, r.y, r.width, r.height));
}

// Moves boxes found in a crop starting at `origin` into whole-image pixels.
void FromCrop(const cv::Point& origin, Detections& detections) {
  if (origin.x == 0 && origin.y == 0) return;
  const float dx = static_cast<float>(origin.x), dy = static_cast<float>(origin.y);
  for (Detection& d : detections) {
    d.box = Box{d.box.x1 + dx, d.box.y1 + dy, d.box.x2 + dx, d.box.y2 + dy};
  }
}

// Classes the output shape implies for the common layouts, or 0 when unsure.
int ClassCountHint(const std::vector<int64_t>& shape) {
  if (shape.size() == 4) return static_cast<int>(shape[1]) - 5;
  if (shape.size() == 3) {
    return shape[1] < shape[2] ? static_cast<int>(shape[1]) - 4 : static_cast<int>(shape[2]) - 5;
  }
  return 0;
}

// Looks beside the model for <stem>.names, <stem>.labels, labels.txt or
// coco.names holding exactly `classes` labels.
Result<std::pair<std::string, std::vector<std::string>>> FindSiblingLabels(
    const std::string& model_path, int classes) {
  const std::filesystem::path p(model_path);
  const std::filesystem::path dir = p.parent_path();
  const std::string stem = p.stem().string();
  for (const std::string& name :
       {stem + ".names", stem + ".labels", std::string("labels.txt"), std::string("coco.names")}) {
    const std::string candidate = (dir / name).string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(candidate, ec)) continue;
    auto labels = LoadLabelsFile(candidate);
    if (labels.ok() && static_cast<int>(labels->size()) == classes) {
      return std::make_pair(candidate, std::move(*labels));
    }
  }
  return NotFound("no label list beside '" + model_path + "'");
}

}  // namespace

Result<std::shared_ptr<DetectorModel>> DetectorModel::Load(const DetectorOptions& options) {
  RVM_RETURN_IF_ERROR(CheckConfThreshold(options.post.conf_threshold, "conf_threshold"));
  if (options.post.iou_threshold < 0 || options.post.iou_threshold > 1) {
    return InvalidArgument("NMS IoU threshold " + std::to_string(options.post.iou_threshold) +
                           " is outside [0, 1]");
  }
  if (options.post.max_detections < 1) return InvalidArgument("max detections must be >= 1");
  if (options.max_image_pixels < 1) return InvalidArgument("image pixel limit must be >= 1");
  if (std::string problem = RoiProblem(options.roi); !problem.empty()) {
    return InvalidArgument("region of interest " + RoiText(options.roi) + ": " + problem);
  }

  std::shared_ptr<DetectorModel> m(new DetectorModel());
  m->options_ = options;
  // Labels first: a bad labels file is reported before the slower model load.
  if (!options.labels_path.empty()) {
    auto labels = LoadLabelsFile(options.labels_path);
    if (!labels.ok()) return labels.status();
    m->labels_ = std::move(*labels);
    m->labels_source_ = options.labels_path;
  }
  auto engine = LoadEngine(options.engine);
  if (!engine.ok()) return engine.status();
  m->engine_ = std::move(*engine);
  const ModelInfo& info = m->engine_->info();
  RVM_RETURN_IF_ERROR(CheckQuantizationGate(info.path, info.sha256, info.metadata,
                                            options.allow_unverified_int8, &m->quantization_));
  if (m->labels_.empty()) {
    m->labels_source_ = "none";
    if (auto it = info.metadata.find("names"); it != info.metadata.end()) {
      auto labels = ParseNamesMetadata(it->second);
      if (!labels.ok()) {
        return Status(labels.status().code(),
                      "model '" + info.path + "': " + labels.status().message());
      }
      m->labels_ = std::move(*labels);
      m->labels_source_ = "model metadata";
    }
  }
  if (m->labels_.empty()) {
    // A label list stored beside the model, used only when its length fits.
    auto found = FindSiblingLabels(info.path, ClassCountHint(info.output_shape));
    if (found.ok()) {
      m->labels_ = std::move(found->second);
      m->labels_source_ = found->first;
    }
  }
  auto layout = ResolveOutputLayout(info.output_shape, info.input_width, info.input_height,
                                    options.family, static_cast<int>(m->labels_.size()));
  if (!layout.ok()) {
    std::string msg = "model '" + info.path + "': " + layout.status().message();
    if (!options.labels_path.empty() && layout.status().code() == StatusCode::kInvalidArgument) {
      msg += " (labels file '" + options.labels_path + "')";
    }
    return Status(layout.status().code(), msg);
  }
  m->layout_ = *layout;
  m->input_spec_ = InputSpecFor(m->layout_.family, info.input_width, info.input_height);
  return m;
}

std::string DetectorModel::label(int class_id) const { return LabelFor(labels_, class_id); }

Result<std::unique_ptr<Detector>> DetectorModel::NewDetector(int batch) {
  auto runner = engine_->NewRunner(batch);
  if (!runner.ok()) return runner.status();
  // DetectorModel is always owned by a shared_ptr (Load returns one).
  return std::unique_ptr<Detector>(new Detector(shared_from_this(), std::move(*runner)));
}

Detector::Detector(std::shared_ptr<DetectorModel> model, std::unique_ptr<EngineRunner> runner)
    : model_(std::move(model)),
      runner_(std::move(runner)),
      pre_(model_->input_spec()),
      post_(model_->layout(), model_->options().post),
      decoder_(model_->options().max_image_pixels) {
  transforms_.resize(runner_->capacity());
  origins_.resize(runner_->capacity());
}

Status Detector::Detect(const cv::Mat& bgr, DetectionResult& out) {
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return InvalidArgument("image must be a non-empty 8-bit BGR image");
  }
  const auto t0 = Now();
  cv::Point origin;
  const ImageTransform t =
      pre_.Run(CropToRoi(bgr, model_->options().roi, origin), runner_->input());
  const auto t1 = Now();
  RVM_RETURN_IF_ERROR(runner_->Run(1));
  const auto t2 = Now();
  RVM_RETURN_IF_ERROR(NamingTheModel(*model_, post_.Run(runner_->output(), t, out.detections)));
  FromCrop(origin, out.detections);
  const auto t3 = Now();
  out.width = bgr.cols;
  out.height = bgr.rows;
  out.timings.preprocess_ms = Ms(t0, t1);
  out.timings.inference_ms = Ms(t1, t2);
  out.timings.postprocess_ms = Ms(t2, t3);
  return Status::Ok();
}

DecodeTarget Detector::decode_target() const {
  if (!model_->options().scaled_jpeg_decode) return DecodeTarget{};
  const InputSpec& spec = model_->input_spec();
  // The cropped region, not the whole image, must still cover the model's input.
  const Roi& roi = model_->options().roi;
  return {static_cast<int>(std::ceil(spec.width / (roi.x1 - roi.x0))),
          static_cast<int>(std::ceil(spec.height / (roi.y1 - roi.y0))),
          spec.resize != ResizeMode::kStretch};
}

Status Detector::DetectDecoded(const DecodedImage& image, DetectionResult& out) {
  RVM_RETURN_IF_ERROR(Detect(image.bgr, out));
  if (image.scale != 1.0f) {
    // Boxes are in decoded pixels; a DCT-scaled pixel spans 1/scale source pixels.
    const float inv = 1.0f / image.scale;
    const float w = static_cast<float>(image.original_width);
    const float h = static_cast<float>(image.original_height);
    for (Detection& d : out.detections) {
      d.box = Box{std::min(d.box.x1 * inv, w), std::min(d.box.y1 * inv, h),
                  std::min(d.box.x2 * inv, w), std::min(d.box.y2 * inv, h)};
    }
  }
  out.width = image.original_width;
  out.height = image.original_height;
  return Status::Ok();
}

Status Detector::DetectEncoded(const uint8_t* data, size_t size, const std::string& name,
                               DetectionResult& out) {
  const auto t0 = Now();
  RVM_RETURN_IF_ERROR(decoder_.Decode(data, size, name, decode_target(), decoded_));
  const auto t1 = Now();
  RVM_RETURN_IF_ERROR(DetectDecoded(decoded_, out));
  out.timings.decode_ms = Ms(t0, t1);
  return Status::Ok();
}

Status Detector::DetectFile(const std::string& path, DetectionResult& out) {
  const auto t0 = Now();
  RVM_RETURN_IF_ERROR(ReadFileInto(path, file_bytes_, "image"));
  const double read_ms = Ms(t0, Now());
  RVM_RETURN_IF_ERROR(DetectEncoded(file_bytes_.data(), file_bytes_.size(), path, out));
  out.timings.read_ms = read_ms;
  return Status::Ok();
}

Status Detector::DetectBatch(const std::vector<const cv::Mat*>& images,
                             std::vector<DetectionResult>& out) {
  const int n = static_cast<int>(images.size());
  if (n < 1 || n > runner_->capacity()) {
    return InvalidArgument("batch of " + std::to_string(n) + " images outside 1.." +
                           std::to_string(runner_->capacity()));
  }
  out.resize(n);
  const auto t0 = Now();
  for (int i = 0; i < n; ++i) {
    const cv::Mat& img = *images[i];
    if (img.empty() || img.type() != CV_8UC3) {
      return InvalidArgument("image " + std::to_string(i) + " of the batch is not 8-bit BGR");
    }
    transforms_[i] = pre_.Run(CropToRoi(img, model_->options().roi, origins_[i]),
                              runner_->input() + i * pre_.tensor_size());
  }
  const auto t1 = Now();
  RVM_RETURN_IF_ERROR(runner_->Run(n));
  const auto t2 = Now();
  const size_t out_stride = model_->info().output_elements_per_image();
  for (int i = 0; i < n; ++i) {
    RVM_RETURN_IF_ERROR(NamingTheModel(
        *model_, post_.Run(runner_->output() + i * out_stride, transforms_[i], out[i].detections)));
    FromCrop(origins_[i], out[i].detections);
    out[i].width = images[i]->cols;
    out[i].height = images[i]->rows;
  }
  const auto t3 = Now();
  for (int i = 0; i < n; ++i) {
    // Per-image share of the batch's cost.
    out[i].timings = StageTimings{0, 0, Ms(t0, t1) / n, Ms(t1, t2) / n, Ms(t2, t3) / n};
  }
  return Status::Ok();
}

}  // namespace rvm
