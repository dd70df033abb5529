#include "inference/engine_factory.h"

#include <cstdlib>

#include "inference/opencv_engine.h"
#include "inference/ort_engine.h"

namespace rvm {

Result<std::shared_ptr<InferenceEngine>> LoadEngine(const EngineOptions& options) {
  if (options.threads < 1 || options.threads > 64) {
    return InvalidArgument("inference threads = " + std::to_string(options.threads) +
                           ": must be in [1, 64]");
  }
  for (const ExecutionProviderProblem& p : ExecutionProviderProblems(options.execution)) {
    return InvalidArgument(p.key + " = " + p.value + ": " + p.problem);
  }
  if (options.backend == "ort") return LoadOrtEngine(options);
  if (options.backend == "opencv") {
    if (options.execution.wants_gpu()) {
      return InvalidArgument("execution providers " +
                             ExecutionProviderListText(options.execution.providers) +
                             ": GPU providers need the ort backend (OpenCV DNN runs on the CPU)");
    }
    return LoadOpencvEngine(options);
  }
  return InvalidArgument("backend '" + options.backend + "' is not one of ort, opencv");
}

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/rvm-edge";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/rvm-edge";
  return "";
}

}  // namespace rvm
