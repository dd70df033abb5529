// Loads a model file into an InferenceEngine for the chosen backend.
#pragma once

#include <memory>
#include <string>

#include "config/execution_providers.h"
#include "inference/inference_engine.h"

namespace rvm {

struct EngineOptions {
  std::string model_path;
  std::string backend = "ort";  // "ort" (ONNX Runtime) or "opencv" (OpenCV DNN)
  int threads = 2;              // intra-op threads for one inference
  bool spin = false;            // ORT: let idle worker threads spin (lower latency, burns CPU)
  // ORT: directory for optimized graphs, keyed by model hash, runtime version
  // and session options. Empty disables the cache. TensorRT engines are kept
  // there too (<cache_dir>/tensorrt-<key>/), keyed the same way.
  std::string cache_dir;
  // ORT: the providers to run on, in order of preference, and their settings.
  ExecutionProviderOptions execution;
};

// Errors name the model file: missing, empty, not ONNX, unsupported inputs;
// or the execution provider that detector.require_gpu demanded and that
// could not run it.
Result<std::shared_ptr<InferenceEngine>> LoadEngine(const EngineOptions& options);

// The cache directory used when none is configured: $XDG_CACHE_HOME/rvm-edge,
// else $HOME/.cache/rvm-edge, else empty (no cache).
std::string DefaultCacheDir();

}  // namespace rvm
