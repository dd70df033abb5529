// LabelMap: the model's class ids -> label strings -> materials.
//
// The detector reports class ids; the model's label list names them ("bottle",
// or an operator's "pet_bottle"); configuration maps names to materials and
// names the labels to ignore (the hand that inserts the item). A LabelMap joins
// the two once at start-up, so the per-item lookups are by index.
//
// Immutable after Create; safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "vision/detection.h"

namespace rvm {

class LabelMap {
 public:
  // `labels[i]` names class id i. Fails when the policy maps none of the labels
  // (wrong label file, or a policy written for another model).
  static Result<LabelMap> Create(std::vector<std::string> labels, const PolicyConfig& policy);

  size_t size() const { return labels_.size(); }
  // The label of `class_id`, or "class_<id>" when the model has no such class.
  std::string Label(int class_id) const;
  // The configured material; nullopt for an unmapped label or an unknown id.
  std::optional<Material> MaterialOf(int class_id) const;
  bool IsIgnored(int class_id) const;
  // `detections` minus those of ignored labels, in the same order.
  Detections WithoutIgnored(const Detections& detections) const;

 private:
  struct Entry {
    std::string label;
    std::optional<Material> material;
    bool ignored = false;
  };
  const Entry* Find(int class_id) const;

  std::vector<Entry> labels_;
};

}  // namespace rvm
