// Detector: image in, detections in the image's own pixels out.
//
// DetectorModel is the shared, read-only part: the inference engine, the
// resolved output layout, the input spec and the labels. It is thread-safe;
// load it once per process. Each thread makes its own Detector with
// NewDetector(): a Detector owns every buffer of the per-image path (encoded
// bytes, decoded pixels, input/output tensors, decode scratch), so after the
// first images the path from pixels to detections does not allocate.
// A Detector is used by one thread at a time.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "config/roi.h"
#include "inference/engine_factory.h"
#include "inference/inference_engine.h"
#include "vision/detection.h"
#include "vision/image_decoder.h"
#include "vision/model_family.h"
#include "vision/postprocess.h"
#include "vision/preprocess.h"

namespace rvm {

// The postprocess settings of a [detector] configuration (config.h, their one home).
inline PostprocessOptions PostprocessOf(const DetectorConfig& d) {
  return {static_cast<float>(d.conf_threshold), static_cast<float>(d.nms_iou), d.max_detections};
}

struct DetectorOptions {
  EngineOptions engine;
  // One label per line. Empty: the model's `names` metadata, else a list
  // beside the model (<stem>.names, <stem>.labels, labels.txt, coco.names)
  // whose length matches the model's classes, else "class_<id>".
  std::string labels_path;
  ModelFamily family = ModelFamily::kAuto;
  // The service's defaults.
  PostprocessOptions post = PostprocessOf(DetectorConfig{});
  int64_t max_image_pixels = ImageDecoder::kDefaultMaxPixels;  // larger images are refused
  // Decode large JPEGs at a reduced DCT scale that still covers the model input.
  bool scaled_jpeg_decode = true;
  // Load a quantized model even without a passing accuracy report for that
  // exact file (see quantization_gate.h); --force-int8.
  bool allow_unverified_int8 = false;
  // The part of every image the model sees (config/roi.h): images are cropped
  // to it before letterboxing; boxes still come back in whole-image pixels.
  Roi roi;
};

// Milliseconds spent in each stage of one image.
struct StageTimings {
  double read_ms = 0, decode_ms = 0, preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
  double total_ms() const {
    return read_ms + decode_ms + preprocess_ms + inference_ms + postprocess_ms;
  }
};

struct DetectionResult {
  int width = 0, height = 0;  // of the source image
  Detections detections;
  StageTimings timings;
};

class Detector;

class DetectorModel : public std::enable_shared_from_this<DetectorModel> {
 public:
  static Result<std::shared_ptr<DetectorModel>> Load(const DetectorOptions& options);

  const ModelInfo& info() const { return engine_->info(); }
  const OutputLayout& layout() const { return layout_; }
  const InputSpec& input_spec() const { return input_spec_; }
  // For a quantized model, what its accuracy report says (see
  // CheckQuantizationGate); empty for a float model.
  const std::string& quantization() const { return quantization_; }
  const std::vector<std::string>& labels() const { return labels_; }
  std::string label(int class_id) const;
  const DetectorOptions& options() const { return options_; }
  // Where the labels came from: the labels file path, "model metadata", or "none".
  const std::string& labels_source() const { return labels_source_; }

  // A per-thread detector running batches of up to `batch` images.
  Result<std::unique_ptr<Detector>> NewDetector(int batch = 1);

 private:
  DetectorModel() = default;
  DetectorOptions options_;
  std::shared_ptr<InferenceEngine> engine_;
  OutputLayout layout_;
  InputSpec input_spec_;
  std::string quantization_;
  std::vector<std::string> labels_;
  std::string labels_source_;
};

class Detector {
 public:
  // Detects objects in a BGR8 image (within the options' region of interest).
  Status Detect(const cv::Mat& bgr, DetectionResult& out);
  // Decodes an encoded image (JPEG, PNG, ...) and detects; `name` appears in errors.
  Status DetectEncoded(const uint8_t* data, size_t size, const std::string& name,
                       DetectionResult& out);
  // Detects in an image decoded elsewhere (e.g. by a DecodeAhead fitted to
  // decode_target()); boxes come back in the original image's pixels even
  // when the decoder scaled it down.
  Status DetectDecoded(const DecodedImage& image, DetectionResult& out);
  // What decoders should fit images to for this model (reduced-scale JPEG
  // decoding), or a full-size target when that is switched off.
  DecodeTarget decode_target() const;
  // Reads, decodes and detects an image file.
  Status DetectFile(const std::string& path, DetectionResult& out);
  // Detects in up to batch_capacity() images with one inference call.
  Status DetectBatch(const std::vector<const cv::Mat*>& images, std::vector<DetectionResult>& out);

  // Runs the model once on whatever the input tensor holds (the last image):
  // bare inference, for benchmarks.
  Status InferOnly() { return runner_->Run(1); }
  // The model's raw output for the last image (first image of the last batch).
  const float* raw_output() const { return runner_->output(); }

  int batch_capacity() const { return runner_->capacity(); }
  const DetectorModel& model() const { return *model_; }
  // Adjusts the confidence threshold for later images (remote command, reload).
  void set_conf_threshold(float t) { post_.set_conf_threshold(t); }

  // The decoded pixels of the last DetectFile/DetectEncoded image (for annotation).
  const cv::Mat& last_image() const { return decoded_.bgr; }

 private:
  friend class DetectorModel;
  Detector(std::shared_ptr<DetectorModel> model, std::unique_ptr<EngineRunner> runner);

  std::shared_ptr<DetectorModel> model_;
  std::unique_ptr<EngineRunner> runner_;
  Preprocessor pre_;
  Postprocessor post_;
  ImageDecoder decoder_;
  DecodedImage decoded_;
  std::vector<uint8_t> file_bytes_;
  std::vector<ImageTransform> transforms_;
  std::vector<cv::Point> origins_;  // per batch image: where its region of interest starts
};

}  // namespace rvm
