#include "eval/class_matching.h"

#include <algorithm>

#include "eval/detection_metrics.h"

namespace rvm::eval {

std::optional<Material> MaterialOfLabel(const std::string& label, const PolicyConfig& policy) {
  auto it = policy.label_materials.find(label);
  if (it == policy.label_materials.end()) return std::nullopt;
  return it->second;
}

std::vector<int> MatchModelClasses(const std::vector<std::string>& model_labels,
                                   const std::vector<std::string>& eval_classes,
                                   const PolicyConfig& policy) {
  std::vector<int> out(model_labels.size(), kNoClass);
  for (size_t m = 0; m < model_labels.size(); ++m) {
    const std::string& label = model_labels[m];
    if (std::find(policy.ignored_labels.begin(), policy.ignored_labels.end(), label) !=
        policy.ignored_labels.end()) {
      continue;
    }
    auto same = std::find(eval_classes.begin(), eval_classes.end(), label);
    if (same != eval_classes.end()) {
      out[m] = static_cast<int>(same - eval_classes.begin());
      continue;
    }
    const std::optional<Material> material = MaterialOfLabel(label, policy);
    if (!material) continue;
    for (size_t k = 0; k < eval_classes.size(); ++k) {
      if (MaterialOfLabel(eval_classes[k], policy) == material) {
        out[m] = static_cast<int>(k);
        break;
      }
    }
  }
  return out;
}

}  // namespace rvm::eval
