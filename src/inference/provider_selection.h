// SelectProviders: the order in which ONNX Runtime execution providers are
// tried, and what happens when one fails.
//
// The ONNX Runtime adapter (ort_engine.cc) supplies two steps: `load` adds one
// GPU provider to a session's options (this is where a CPU-only runtime, or a
// machine without the CUDA/TensorRT libraries, refuses), and `open` creates
// the session with a list of GPU providers and runs it once (where a missing
// GPU or a model TensorRT cannot build shows). Every listed GPU provider is
// loaded in the order of preference; those that fail are skipped. The session
// is then opened with all that loaded; when that fails, the most preferred is
// dropped and the rest tried again, down to the CPU alone, whose failure is
// the model's own error. Each skip yields one line naming the provider and
// why. With require_gpu, the first GPU provider that fails either step is an
// error instead (and the CPU is never used alone).
//
// Pure logic over the two callbacks; thread-compatible.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/execution_providers.h"

namespace rvm {

struct ProviderSelection {
  // What the session runs on, most preferred first, always ending in "cpu".
  std::vector<std::string> providers;
  // One line per listed provider left out: "execution provider cuda skipped: <why>".
  std::vector<std::string> skipped;
};

using LoadProviderFn = std::function<Status(const std::string& provider)>;
using OpenSessionFn = std::function<Status(const std::vector<std::string>& gpu_providers)>;

Result<ProviderSelection> SelectProviders(const ExecutionProviderOptions& options,
                                          const LoadProviderFn& load, const OpenSessionFn& open);

}  // namespace rvm
