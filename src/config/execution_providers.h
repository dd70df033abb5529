// ExecutionProviderOptions: which hardware runs the model under ONNX Runtime,
// and the settings of its GPU execution providers.
//
// `providers` is an ordered preference: ONNX Runtime gives every node of the
// graph to the first registered provider that can run it, so ["tensorrt",
// "cuda", "cpu"] runs what TensorRT can compile on TensorRT, the rest on CUDA
// and anything left on the CPU. A provider that cannot be loaded on this
// machine (no GPU, no CUDA or TensorRT libraries, an ONNX Runtime built for
// the CPU only) is skipped, unless `require_gpu` makes that fatal. The CPU is
// always the last resort, listed or not. The TOML keys are the [detector]
// keys of config/rvm-edge.example.toml named in the comments.
//
// Plain value and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rvm {

struct ExecutionProviderOptions {
  // detector.execution_providers: "tensorrt" | "cuda" | "cpu", most preferred first.
  std::vector<std::string> providers = {"cpu"};
  // detector.require_gpu: a listed GPU provider that cannot be loaded stops start-up
  // instead of being skipped.
  bool require_gpu = false;
  int gpu_device_id = 0;       // detector.gpu_device_id: CUDA device of cuda and tensorrt
  bool tensorrt_fp16 = false;  // detector.tensorrt_fp16: let TensorRT run layers in FP16
  // detector.tensorrt_int8: let TensorRT run layers in INT8; meant for a model with
  // quantize/dequantize nodes (rvm-edge quantize), whose scales TensorRT then uses.
  bool tensorrt_int8 = false;
  // detector.tensorrt_workspace_bytes: scratch GPU memory TensorRT may use while
  // building its engine, bytes; 0 = TensorRT's default (as much as the device has).
  int64_t tensorrt_workspace_bytes = 1'073'741'824;

  bool operator==(const ExecutionProviderOptions&) const = default;

  // Whether any GPU provider (tensorrt, cuda) is listed.
  bool wants_gpu() const;
};

// The providers this build knows, in the order the documentation lists them.
inline constexpr std::string_view kExecutionProviderNames[] = {"tensorrt", "cuda", "cpu"};

// One problem with the options: `key` is the [detector] key it concerns
// ("execution_providers"), `value` the offending value as TOML writes it and
// `problem` a phrase ("\"gpu\" is not one of tensorrt, cuda, cpu").
struct ExecutionProviderProblem {
  std::string key;
  std::string value;
  std::string problem;
};

// Every problem with `options`; empty when they are valid. The one home of
// these rules: the configuration check and the command-line flags use it.
std::vector<ExecutionProviderProblem> ExecutionProviderProblems(
    const ExecutionProviderOptions& options);

// `["tensorrt", "cuda", "cpu"]`, as the configuration writes a list.
std::string ExecutionProviderListText(const std::vector<std::string>& providers);

// Splits a comma-separated command-line list ("tensorrt,cuda,cpu"); spaces
// around names are dropped. The names are checked by ExecutionProviderProblems.
std::vector<std::string> SplitProviderList(std::string_view text);

}  // namespace rvm
