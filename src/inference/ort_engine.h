// OrtEngine: InferenceEngine on ONNX Runtime's CPU execution provider.
//
// One Ort::Session per model, shared by all runners (Session::Run is
// thread-safe). Each runner binds its own input/output buffers once through
// an IoBinding, so a steady-state Run() hands ONNX Runtime no new tensors.
// Intra-op threads are configurable and, by default, do not spin when idle
// (a spinning pool burns a core between frames on a 2-core device).
// Optimized graphs are cached on disk (see model_cache.h).
#pragma once

#include <memory>

#include "inference/engine_factory.h"
#include "inference/inference_engine.h"

namespace rvm {

Result<std::shared_ptr<InferenceEngine>> LoadOrtEngine(const EngineOptions& options);

// Reads the model's interface (input size, batch, first output's shape,
// metadata) with a minimal ONNX Runtime session; used by backends that cannot
// report it themselves.
Result<ModelInfo> InspectModel(const std::string& model_path);

// "1.29.0" etc.
std::string OrtVersion();

}  // namespace rvm
