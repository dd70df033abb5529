#include "inference/provider_selection.h"

namespace rvm {

Result<ProviderSelection> SelectProviders(const ExecutionProviderOptions& options,
                                          const LoadProviderFn& load, const OpenSessionFn& open) {
  ProviderSelection out;
  std::vector<std::string> active;
  for (const std::string& p : options.providers) {
    if (p == "cpu") continue;  // not a loadable provider: the runtime's own last resort
    Status s = load(p);
    if (s.ok()) {
      active.push_back(p);
    } else if (options.require_gpu) {
      return Status(StatusCode::kUnavailable, "execution provider " + p +
                                                  " cannot be loaded: " + s.message() +
                                                  " (detector.require_gpu = true)");
    } else {
      out.skipped.push_back("execution provider " + p + " skipped: " + s.message());
    }
  }
  if (active.empty() && options.require_gpu) {
    return Unavailable("no GPU execution provider could be loaded (detector.require_gpu = true)");
  }
  while (true) {
    Status s = open(active);
    if (s.ok()) break;
    if (active.empty()) return s;  // the CPU alone failed: the model's own error
    if (options.require_gpu) {
      return Status(StatusCode::kUnavailable, "execution provider " + active.front() +
                                                  " cannot run the model: " + s.message() +
                                                  " (detector.require_gpu = true)");
    }
    out.skipped.push_back("execution provider " + active.front() +
                          " skipped: cannot run the model: " + s.message());
    active.erase(active.begin());
  }
  out.providers = std::move(active);
  out.providers.push_back("cpu");
  return out;
}

}  // namespace rvm
