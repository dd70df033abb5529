// OpencvEngine: InferenceEngine on OpenCV's DNN module (CPU), the fallback
// backend: slower than ONNX Runtime but entirely from the distribution's
// packages. cv::dnn::Net is not thread-safe, so every runner parses its own
// copy of the model from bytes read once.
#pragma once

#include <memory>

#include "inference/engine_factory.h"

namespace rvm {

Result<std::shared_ptr<InferenceEngine>> LoadOpencvEngine(const EngineOptions& options);

}  // namespace rvm
