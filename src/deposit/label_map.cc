#include "deposit/label_map.h"

#include <algorithm>

namespace rvm {

Result<LabelMap> LabelMap::Create(std::vector<std::string> labels, const PolicyConfig& policy) {
  if (labels.empty()) return InvalidArgument("label list is empty");
  LabelMap map;
  int mapped = 0;
  for (std::string& label : labels) {
    Entry e;
    if (auto it = policy.label_materials.find(label); it != policy.label_materials.end()) {
      e.material = it->second;
      ++mapped;
    }
    e.ignored = std::find(policy.ignored_labels.begin(), policy.ignored_labels.end(), label) !=
                policy.ignored_labels.end();
    e.label = std::move(label);
    map.labels_.push_back(std::move(e));
  }
  if (mapped == 0) {
    std::string examples;
    for (size_t i = 0; i < map.labels_.size() && i < 3; ++i) {
      examples += (i ? ", \"" : "\"") + map.labels_[i].label + "\"";
    }
    return InvalidArgument("policy.labels maps none of the model's " +
                           std::to_string(map.labels_.size()) + " labels (" + examples +
                           ", ...): the label file and the policy do not belong together");
  }
  return map;
}

const LabelMap::Entry* LabelMap::Find(int class_id) const {
  if (class_id < 0 || static_cast<size_t>(class_id) >= labels_.size()) return nullptr;
  return &labels_[static_cast<size_t>(class_id)];
}

std::string LabelMap::Label(int class_id) const {
  const Entry* e = Find(class_id);
  return e != nullptr ? e->label : "class_" + std::to_string(class_id);
}

std::optional<Material> LabelMap::MaterialOf(int class_id) const {
  const Entry* e = Find(class_id);
  return e != nullptr ? e->material : std::nullopt;
}

bool LabelMap::IsIgnored(int class_id) const {
  const Entry* e = Find(class_id);
  return e != nullptr && e->ignored;
}

Detections LabelMap::WithoutIgnored(const Detections& detections) const {
  Detections out;
  out.reserve(detections.size());
  for (const Detection& d : detections) {
    if (!IsIgnored(d.class_id)) out.push_back(d);
  }
  return out;
}

}  // namespace rvm
