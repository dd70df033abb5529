#include "deposit/decision_policy.h"

#include <algorithm>

namespace rvm {

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kNone:
      return "";
    case RejectReason::kMultipleItems:
      return "multiple_items";
    case RejectReason::kUnknownItem:
      return "unknown_item";
    case RejectReason::kNotAcceptedMaterial:
      return "not_accepted_material";
    case RejectReason::kLowConfidence:
      return "low_confidence";
    case RejectReason::kOutOfService:
      return "out_of_service";
  }
  return "";
}

Verdict Decide(const TrackedItem& item, const LabelMap& labels, const PolicyConfig& policy) {
  Verdict v;
  v.class_id = item.fused.class_id;
  v.label = labels.Label(v.class_id);
  v.material = labels.MaterialOf(v.class_id);
  v.confidence = item.fused.confidence;
  if (v.material) {
    auto it = policy.accept_threshold.find(*v.material);
    // A material without a threshold is never accepted on confidence alone.
    v.threshold = it != policy.accept_threshold.end() ? it->second : 1.0;
  }
  const bool material_accepted =
      v.material && std::find(policy.accepted_materials.begin(), policy.accepted_materials.end(),
                              *v.material) != policy.accepted_materials.end();
  if (item.multiple_items) {
    v.reason = RejectReason::kMultipleItems;
  } else if (!v.material) {
    v.reason = RejectReason::kUnknownItem;
  } else if (!material_accepted) {
    v.reason = RejectReason::kNotAcceptedMaterial;
  } else if (v.confidence < v.threshold) {
    v.reason = RejectReason::kLowConfidence;
  }
  v.accepted = v.reason == RejectReason::kNone;
  return v;
}

}  // namespace rvm
