// FrameDetector: the inference stage's seam. The pipeline runs one
// FrameDetector per inference worker; the production one wraps a Detector
// (inference/detector.h), tests use a fake that finds coloured shapes.
//
// A FrameDetector is used by one worker thread at a time; the factory that
// makes them is called from the thread that starts the pipeline.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "base/status.h"
#include "inference/detector.h"

namespace rvm {

class FrameDetector {
 public:
  virtual ~FrameDetector() = default;
  // Detects in `images.size()` <= batch_capacity() BGR images with one call;
  // `out` is resized to match and its buffers are reused.
  virtual Status DetectBatch(const std::vector<const cv::Mat*>& images,
                             std::vector<DetectionResult>& out) = 0;
  // Largest batch DetectBatch accepts (1 for a model without a batch dimension).
  virtual int batch_capacity() const = 0;
  // Minimum detection score, in [0, 1], for later DetectBatch calls (the
  // pipeline's worker calls it between batches; see Pipeline::SetConfThreshold).
  virtual void SetConfThreshold(float threshold) = 0;
};

// Makes the detector for one worker; `max_batch` is the configured batch
// limit (the detector may support fewer).
using FrameDetectorFactory = std::function<Result<std::unique_ptr<FrameDetector>>(int max_batch)>;

// Workers over a shared DetectorModel: a batch of up to `max_batch` when the
// model has a dynamic batch dimension, its fixed batch when that is > 1
// (capped by max_batch), else 1.
FrameDetectorFactory ModelDetectorFactory(std::shared_ptr<DetectorModel> model);

// The batch a worker over `model` gets when `max_batch` is configured.
int EffectiveBatch(const ModelInfo& info, int max_batch);

}  // namespace rvm
