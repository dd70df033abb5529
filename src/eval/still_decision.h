// StillDecision: what the service would decide for one photo of one item.
//
// The service decides items, not frames: detections go through the item
// tracker, which fuses an item's frames, and then the decision policy. A
// still photo is treated as an item lying in the chute: the same detections
// seen in every frame until the tracker settles it, then the stream ends.
// With identical frames the fused confidence is the detection's score, so
// the policy's accept thresholds apply to it exactly as in the service, and
// two objects in view are rejected as multiple_items, as there.
//
// `detections` are the detector's output at the service's confidence
// threshold; ignored labels (the hand) are dropped here as the pipeline does.
//
// Pure; thread-safe.
#pragma once

#include <optional>

#include "config/config.h"
#include "deposit/decision_policy.h"
#include "deposit/label_map.h"
#include "vision/detection.h"

namespace rvm::eval {

struct StillDecision {
  int items = 0;  // items the tracker finished (0: nothing seen, >1: several)
  // The verdict on the most confident item; nullopt when there was none.
  std::optional<Verdict> verdict;
};

StillDecision DecideStill(const Detections& detections, const LabelMap& labels,
                          const TrackerConfig& tracker, const PolicyConfig& policy);

}  // namespace rvm::eval
