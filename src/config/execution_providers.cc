#include "config/execution_providers.h"

#include <algorithm>
#include <set>

#include "config/toml_text.h"

namespace rvm {

bool ExecutionProviderOptions::wants_gpu() const {
  return std::any_of(providers.begin(), providers.end(),
                     [](const std::string& p) { return p == "tensorrt" || p == "cuda"; });
}

std::vector<ExecutionProviderProblem> ExecutionProviderProblems(
    const ExecutionProviderOptions& o) {
  std::vector<ExecutionProviderProblem> out;
  const std::string list = ExecutionProviderListText(o.providers);
  if (o.providers.empty()) {
    out.push_back({"execution_providers", list, "must name at least one provider, e.g. [\"cpu\"]"});
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < o.providers.size(); ++i) {
    const std::string& p = o.providers[i];
    const auto* known = std::find(std::begin(kExecutionProviderNames),
                                  std::end(kExecutionProviderNames), p);
    if (known == std::end(kExecutionProviderNames)) {
      out.push_back({"execution_providers", list,
                     TomlString(p) + " is not one of tensorrt, cuda, cpu"});
    } else if (!seen.insert(p).second) {
      out.push_back({"execution_providers", list, "names " + TomlString(p) + " twice"});
    } else if (p == "cpu" && std::any_of(o.providers.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                         o.providers.end(),
                                         [](const std::string& next) { return next != "cpu"; })) {
      // Only another provider after it; a second "cpu" is reported as twice.
      out.push_back({"execution_providers", list,
                     "\"cpu\" must come last: it runs what no other provider takes"});
    }
  }
  if (o.require_gpu && !o.wants_gpu()) {
    out.push_back({"require_gpu", "true",
                   "needs a GPU provider (tensorrt or cuda) in detector.execution_providers"});
  }
  if (o.gpu_device_id < 0 || o.gpu_device_id > 63) {
    out.push_back({"gpu_device_id", std::to_string(o.gpu_device_id), "must be in [0, 63]"});
  }
  constexpr int64_t kMaxWorkspace = int64_t{1} << 40;  // 1 TiB: more is surely a typo
  if (o.tensorrt_workspace_bytes < 0 || o.tensorrt_workspace_bytes > kMaxWorkspace) {
    out.push_back({"tensorrt_workspace_bytes", std::to_string(o.tensorrt_workspace_bytes),
                   "must be in [0, " + std::to_string(kMaxWorkspace) + "]"});
  }
  return out;
}

std::string ExecutionProviderListText(const std::vector<std::string>& providers) {
  std::string text = "[";
  for (size_t i = 0; i < providers.size(); ++i) {
    text += (i ? ", " : "") + TomlString(providers[i]);
  }
  return text + "]";
}

std::vector<std::string> SplitProviderList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty() || end != text.size() || !out.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace rvm
