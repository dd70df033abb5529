#include "deposit/item_tracker.h"

#include <algorithm>
#include <tuple>

namespace rvm {
namespace {

// A box that lies this much inside another (or contains it) shows the same
// object: a cap or label detected beside the whole bottle, or the visible
// part of a half-hidden item.
constexpr float kContainedFraction = 0.8f;

float IntersectionOverSmaller(const Box& a, const Box& b) {
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0.0f;
  const float smaller = std::min(a.area(), b.area());
  return smaller > 0 ? iw * ih / smaller : 0.0f;
}

}  // namespace

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kSettled:
      return "settled";
    case FinishReason::kLeft:
      return "left";
    case FinishReason::kFlushed:
      return "flushed";
  }
  return "left";
}

ItemTracker::ItemTracker(const TrackerConfig& config) : config_(config) {}

TrackedItem ItemTracker::Finish(const Track& t, FrameTime now, FinishReason reason) {
  TrackedItem item;
  item.track_id = t.id;
  // Callers only finish tracks with at least min_frames votes, so fusion succeeds.
  item.fused = FuseVotes(t.votes, config_.min_frames_to_decide).value_or(FusedClass{});
  item.frames_seen = t.frames_seen;
  item.first_seen = t.first_seen;
  item.last_seen = t.last_seen;
  item.finished_at = now;
  item.reason = reason;
  item.best = t.best;
  item.best_frame_time = t.best_frame_time;
  item.multiple_items = t.multiple;
  ++stats_.items_finished;
  return item;
}

std::vector<TrackedItem> ItemTracker::Update(FrameTime frame_time, const Detections& detections) {
  ++stats_.frames;

  // Greedy assignment: all (track, detection) pairs above the threshold, best
  // overlap first. Ties break on track then detection index, so the result
  // does not depend on sort stability.
  std::vector<std::tuple<float, size_t, size_t>> pairs;
  for (size_t t = 0; t < tracks_.size(); ++t) {
    for (size_t d = 0; d < detections.size(); ++d) {
      const float iou = IoU(tracks_[t].last_box, detections[d].box);
      if (iou >= config_.iou_match_threshold) pairs.emplace_back(iou, t, d);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
    return std::make_pair(std::get<1>(a), std::get<2>(a)) <
           std::make_pair(std::get<1>(b), std::get<2>(b));
  });
  std::vector<int> track_match(tracks_.size(), -1);
  std::vector<bool> det_used(detections.size(), false);
  for (const auto& [iou, t, d] : pairs) {
    if (track_match[t] >= 0 || det_used[d]) continue;
    track_match[t] = static_cast<int>(d);
    det_used[d] = true;
  }
  // Second pass, for what IoU misses: a box that shrank to the visible part of
  // a half-hidden item, or grew as the item came closer, lies mostly inside
  // (or around) the item's last box.
  for (size_t t = 0; t < tracks_.size(); ++t) {
    if (track_match[t] >= 0) continue;
    int best = -1;
    float best_overlap = kContainedFraction;
    for (size_t d = 0; d < detections.size(); ++d) {
      if (det_used[d]) continue;
      const float overlap = IntersectionOverSmaller(tracks_[t].last_box, detections[d].box);
      if (overlap >= best_overlap) {
        best_overlap = overlap;
        best = static_cast<int>(d);
      }
    }
    if (best >= 0) {
      track_match[t] = best;
      det_used[static_cast<size_t>(best)] = true;
    }
  }

  const size_t existing = tracks_.size();
  for (size_t t = 0; t < existing; ++t) {
    Track& track = tracks_[t];
    if (track_match[t] < 0) {
      ++track.missed;
      continue;
    }
    const Detection& det = detections[static_cast<size_t>(track_match[t])];
    track.last_box = det.box;
    track.missed = 0;
    ++track.frames_seen;
    track.last_seen = frame_time;
    if (!track.decided) track.votes.push_back({det.class_id, det.score});
    if (det.score > track.best.score) {
      track.best = det;
      track.best_frame_time = frame_time;
    }
  }

  // Unmatched detections, most confident first: duplicates of an item seen in
  // this frame (matched or just started), or new items.
  std::vector<Box> seen_now;
  for (size_t t = 0; t < existing; ++t) {
    if (track_match[t] >= 0) seen_now.push_back(tracks_[t].last_box);
  }
  std::vector<size_t> unmatched;
  for (size_t d = 0; d < detections.size(); ++d) {
    if (!det_used[d]) unmatched.push_back(d);
  }
  std::stable_sort(unmatched.begin(), unmatched.end(), [&detections](size_t a, size_t b) {
    return detections[a].score > detections[b].score;
  });
  for (size_t d : unmatched) {
    const Detection& det = detections[d];
    const bool duplicate = std::any_of(seen_now.begin(), seen_now.end(), [&](const Box& box) {
      return IoU(box, det.box) >= config_.iou_match_threshold ||
             IntersectionOverSmaller(box, det.box) >= kContainedFraction;
    });
    if (duplicate) {
      ++stats_.duplicates_dropped;
      continue;
    }
    Track track;
    track.id = next_id_++;
    track.last_box = det.box;
    track.frames_seen = 1;
    track.first_seen = track.last_seen = frame_time;
    track.best = det;
    track.best_frame_time = frame_time;
    track.votes.push_back({det.class_id, det.score});
    tracks_.push_back(std::move(track));
    seen_now.push_back(det.box);
    ++stats_.items_started;
  }

  // Several confirmed, undecided items in view at once.
  std::vector<Track*> in_view;
  for (Track& track : tracks_) {
    if (track.missed == 0 && !track.decided && track.frames_seen >= config_.min_frames_to_decide &&
        track.best.score >= config_.multiple_items_min_score) {
      in_view.push_back(&track);
    }
  }
  if (in_view.size() >= 2) {
    for (Track* track : in_view) track->multiple = true;
  }

  std::vector<TrackedItem> finished;
  std::vector<Track> kept;
  kept.reserve(tracks_.size());
  for (Track& track : tracks_) {
    if (track.missed > config_.max_missed_frames) {
      if (!track.decided) {
        if (track.frames_seen >= config_.min_frames_to_decide) {
          finished.push_back(Finish(track, frame_time, FinishReason::kLeft));
        } else {
          ++stats_.noise_dropped;
        }
      }
      continue;
    }
    if (!track.decided && track.frames_seen >= config_.settle_frames) {
      finished.push_back(Finish(track, frame_time, FinishReason::kSettled));
      track.decided = true;
      track.votes.clear();
      track.votes.shrink_to_fit();
    }
    kept.push_back(std::move(track));
  }
  tracks_ = std::move(kept);
  return finished;
}

std::vector<TrackedItem> ItemTracker::Flush(std::vector<Box>* decided_in_view) {
  std::vector<TrackedItem> finished;
  for (const Track& track : tracks_) {
    if (!track.decided) {
      if (track.frames_seen < config_.min_frames_to_decide) {
        ++stats_.noise_dropped;
        continue;
      }
      finished.push_back(Finish(track, track.last_seen, FinishReason::kFlushed));
    }
    if (decided_in_view != nullptr) decided_in_view->push_back(track.last_box);
  }
  tracks_.clear();
  return finished;
}

void ItemTracker::FollowDecided(const std::vector<Box>& boxes) {
  for (const Box& box : boxes) {
    Track track;
    track.id = next_id_++;
    track.last_box = box;
    track.decided = true;
    tracks_.push_back(std::move(track));
  }
}

}  // namespace rvm
