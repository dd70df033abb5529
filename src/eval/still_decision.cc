#include "eval/still_decision.h"

#include <algorithm>
#include <chrono>

#include "deposit/item_tracker.h"

namespace rvm::eval {

StillDecision DecideStill(const Detections& detections, const LabelMap& labels,
                          const TrackerConfig& tracker_config, const PolicyConfig& policy) {
  const Detections kept = labels.WithoutIgnored(detections);
  ItemTracker tracker(tracker_config);
  std::vector<TrackedItem> items;
  const int frames = std::max(tracker_config.min_frames_to_decide, tracker_config.settle_frames);
  FrameTime t{};
  for (int i = 0; i < frames; ++i) {
    t += std::chrono::milliseconds(100);
    for (TrackedItem& item : tracker.Update(t, kept)) items.push_back(std::move(item));
  }
  for (TrackedItem& item : tracker.Flush()) items.push_back(std::move(item));

  StillDecision out;
  out.items = static_cast<int>(items.size());
  if (items.empty()) return out;
  auto best =
      std::max_element(items.begin(), items.end(), [](const TrackedItem& a, const TrackedItem& b) {
        return a.fused.confidence < b.fused.confidence;
      });
  out.verdict = Decide(*best, labels, policy);
  return out;
}

}  // namespace rvm::eval
