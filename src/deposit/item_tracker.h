// ItemTracker: per-frame detections -> physical items, each finished once.
//
// The detector sees the same bottle in many consecutive frames; the machine
// must make exactly one decision for it. The tracker is fed every processed
// frame, in time order, with that frame's detections, and returns the items
// that finished in that frame:
//
//  * Matching. A detection continues an item when its box overlaps the item's
//    last box with IoU >= iou_match_threshold (greedy, best overlap first,
//    class-agnostic, so a detector that flickers between classes keeps one
//    item); failing that, when one box lies mostly inside the other (the
//    visible part of a half-hidden item). A second detection on an item already matched in the same
//    frame (IoU above the threshold, or lying mostly inside it) is a duplicate and is dropped
//    rather than starting a second item.
//  * Occlusion. An item unseen for up to max_missed_frames frames is still
//    there; a detection overlapping its last box picks it up again.
//  * Finishing. An item is finished when it settles (seen settle_frames
//    times: decided while still in view, and then followed silently until it
//    leaves, so it is never decided twice) or when it leaves (unseen for more
//    than max_missed_frames). An item seen fewer than min_frames_to_decide
//    times when it leaves is detector noise: it is dropped and counted, never
//    decided.
//  * Several items. When two or more undecided items that have each been seen
//    min_frames_to_decide times, each with a best detection score of at least
//    multiple_items_min_score, are in view in the same frame, all of them
//    are marked `multiple_items` (the policy rejects them: the machine cannot
//    tell which is which). A weaker item beside them does not count: it is
//    decided on its own (with the default thresholds, rejected for low
//    confidence). An item already decided that lingers in view does not
//    count, so it cannot spoil the items after it.
//
// Because an item is finished at most settle_frames + max_missed_frames + 1
// frames after it first appeared, a caller that keeps that many recent frames
// can always find the item's best frame (by best_frame_time) for evidence.
//
// Thread-compatible: one pipeline thread owns a tracker.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "config/config.h"
#include "deposit/fusion.h"
#include "vision/detection.h"

namespace rvm {

using FrameTime = std::chrono::steady_clock::time_point;

enum class FinishReason {
  kSettled,  // seen settle_frames times; may still be in view
  kLeft,     // no longer seen
  kFlushed,  // the stream ended (Flush)
};

const char* FinishReasonName(FinishReason reason);  // "settled", "left", "flushed"

// A finished physical item, ready for the decision policy.
struct TrackedItem {
  uint64_t track_id = 0;    // 1, 2, ... per tracker, in order of first appearance
  FusedClass fused;         // the class vote over all frames it was seen in
  int frames_seen = 0;      // frames with a matching detection
  FrameTime first_seen{};   // frame time of its first detection
  FrameTime last_seen{};    // frame time of its last detection so far
  FrameTime finished_at{};  // frame time of the Update that finished it
  FinishReason reason = FinishReason::kLeft;
  Detection best;               // its highest-scoring detection
  FrameTime best_frame_time{};  // the frame that detection came from
  bool multiple_items = false;  // another undecided item was in view at the same time
};

struct TrackerStats {
  uint64_t frames = 0;              // Update calls
  uint64_t items_started = 0;       // tracks opened
  uint64_t items_finished = 0;      // TrackedItems returned
  uint64_t noise_dropped = 0;       // tracks that left before min_frames_to_decide
  uint64_t duplicates_dropped = 0;  // second detections on an already matched item
};

class ItemTracker {
 public:
  explicit ItemTracker(const TrackerConfig& config);

  // Feeds one frame. `frame_time` must not go backwards. Returns the items
  // finished by this frame, in order of first appearance.
  std::vector<TrackedItem> Update(FrameTime frame_time, const Detections& detections);

  // End of stream: finishes every undecided item that has been seen at least
  // min_frames_to_decide times (reason kFlushed) and forgets all items. With
  // `decided_in_view`, also gives there the last box of every item decided
  // (by this flush or earlier) that was still followed: for FollowDecided.
  std::vector<TrackedItem> Flush(std::vector<Box>* decided_in_view = nullptr);

  // Follows items an earlier tracker decided that may still be in view (the
  // pipeline before a restart): each box starts an item already decided,
  // followed silently until it leaves like any decided item, so an item in
  // the chute across a restart is never decided twice. An item seen first
  // after it left is new and decided as usual.
  void FollowDecided(const std::vector<Box>& boxes);

  // Items currently followed (undecided or decided-but-still-in-view).
  size_t active_items() const { return tracks_.size(); }
  const TrackerStats& stats() const { return stats_; }

 private:
  struct Track {
    uint64_t id = 0;
    Box last_box;
    int frames_seen = 0;
    int missed = 0;
    bool decided = false;
    bool multiple = false;
    FrameTime first_seen{};
    FrameTime last_seen{};
    Detection best;
    FrameTime best_frame_time{};
    std::vector<ClassVote> votes;
  };

  TrackedItem Finish(const Track& t, FrameTime now, FinishReason reason);

  TrackerConfig config_;
  std::vector<Track> tracks_;  // in order of first appearance
  uint64_t next_id_ = 1;
  TrackerStats stats_;
};

}  // namespace rvm
