// InferenceEngine: a loaded detection model behind one interface, whatever
// runtime executes it (ONNX Runtime, OpenCV DNN).
//
// The engine is the read-only, shareable part (weights, optimized graph) and
// is thread-safe. Each thread that runs inference gets its own EngineRunner
// from NewRunner(): the runner owns the input and output tensors (allocated
// once) and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace rvm {

struct ModelInfo {
  std::string path;
  std::string sha256;   // of the model file
  std::string backend;  // "ort" or "opencv"
  std::string input_name;
  int input_width = 0, input_height = 0;
  int batch = 1;  // fixed batch size, or -1 when dynamic
  std::string output_name;
  std::vector<int64_t> output_shape;            // for batch 1 (batch dimension = 1)
  std::map<std::string, std::string> metadata;  // ONNX custom metadata properties
  double load_ms = 0;                           // time to a ready session, including any warm-up
  // The optimised-graph cache (CPU sessions) or TensorRT's engine cache
  // (sessions on TensorRT): "off", "miss" (built and stored), "hit",
  // "rebuilt" (stale entry).
  std::string cache;
  std::string cache_detail;  // why a cache entry was rebuilt or is off, when it was
  // The execution providers the session runs on, most preferred first and
  // "cpu" last; the first runs every node it supports (OpenCV DNN: "cpu").
  std::vector<std::string> execution_providers = {"cpu"};
  // One line per requested provider that was left out, naming it and why
  // ("execution provider cuda skipped: ..."), for the caller to log.
  std::vector<std::string> provider_notes;

  // The provider that runs the model: the first of execution_providers.
  const std::string& execution_provider() const { return execution_providers.front(); }

  size_t input_elements_per_image() const {
    return 3 * static_cast<size_t>(input_width) * input_height;
  }
  size_t output_elements_per_image() const;
};

class EngineRunner {
 public:
  virtual ~EngineRunner() = default;
  // Largest batch Run() accepts.
  virtual int capacity() const = 0;
  // Tensors for `capacity()` images: input NCHW float, output in the model's layout.
  virtual float* input() = 0;
  virtual const float* output() const = 0;
  // Runs the first `n` (1..capacity) images of input() into output().
  virtual Status Run(int n) = 0;
};

class InferenceEngine {
 public:
  virtual ~InferenceEngine() = default;
  virtual const ModelInfo& info() const = 0;
  // A runner for batches of up to `batch` images (1 unless the model has a
  // dynamic batch dimension or a fixed one larger than 1).
  virtual Result<std::unique_ptr<EngineRunner>> NewRunner(int batch) = 0;
};

}  // namespace rvm
