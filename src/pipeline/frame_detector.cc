#include "pipeline/frame_detector.h"

#include <algorithm>

namespace rvm {
namespace {

class ModelFrameDetector final : public FrameDetector {
 public:
  explicit ModelFrameDetector(std::unique_ptr<Detector> detector)
      : detector_(std::move(detector)) {}

  Status DetectBatch(const std::vector<const cv::Mat*>& images,
                     std::vector<DetectionResult>& out) override {
    if (images.size() == 1) {
      out.resize(1);
      return detector_->Detect(*images[0], out[0]);
    }
    return detector_->DetectBatch(images, out);
  }
  int batch_capacity() const override { return detector_->batch_capacity(); }
  void SetConfThreshold(float threshold) override { detector_->set_conf_threshold(threshold); }

 private:
  std::unique_ptr<Detector> detector_;
};

}  // namespace

int EffectiveBatch(const ModelInfo& info, int max_batch) {
  max_batch = std::max(1, max_batch);
  if (info.batch < 0) return max_batch;  // dynamic
  if (info.batch > 1) return std::min(info.batch, max_batch);
  return 1;
}

FrameDetectorFactory ModelDetectorFactory(std::shared_ptr<DetectorModel> model) {
  return [model](int max_batch) -> Result<std::unique_ptr<FrameDetector>> {
    auto detector = model->NewDetector(EffectiveBatch(model->info(), max_batch));
    if (!detector.ok()) return detector.status();
    return std::unique_ptr<FrameDetector>(
        std::make_unique<ModelFrameDetector>(std::move(detector).value()));
  };
}

}  // namespace rvm
