// DecisionPolicy: one finished item -> accept or reject, with the reason.
//
// Rules, first match wins:
//   1. multiple_items        another undecided item was in view at the same time
//   2. unknown_item          the fused label is not mapped to a material
//   3. not_accepted_material the material is not in policy.accepted_materials
//   4. low_confidence        fused confidence below policy.accept_threshold[material]
//   otherwise accepted.
// The order matters to the person at the machine: "one at a time, please" is
// more useful than "low confidence" when two bottles were inserted together.
// out_of_service is never a verdict of this policy: the DecisionRecorder
// applies it over the verdict while the machine is not accepting items.
//
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "deposit/item_tracker.h"
#include "deposit/label_map.h"

namespace rvm {

enum class RejectReason {
  kNone,  // accepted
  kMultipleItems,
  kUnknownItem,
  kNotAcceptedMaterial,
  kLowConfidence,
  kOutOfService,  // the machine was not accepting items (maintenance, storage full)
};

// "multiple_items", "unknown_item", "not_accepted_material", "low_confidence",
// "out_of_service"; "" for kNone.
std::string_view RejectReasonName(RejectReason reason);

struct Verdict {
  int class_id = -1;
  std::string label;                 // the fused class's label
  std::optional<Material> material;  // nullopt for an unknown item
  double confidence = 0;             // fused confidence, [0, 1]
  double threshold = 0;              // the acceptance threshold applied, [0, 1] (0 when none was)
  bool accepted = false;
  RejectReason reason = RejectReason::kNone;
};

Verdict Decide(const TrackedItem& item, const LabelMap& labels, const PolicyConfig& policy);

}  // namespace rvm
