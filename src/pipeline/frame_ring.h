// FrameRing: copies of the most recent processed frames, so that when the
// tracker finishes an item the decide stage can still find the item's best
// frame (TrackedItem::best_frame_time) and attach it as evidence.
//
// The tracker finishes an item at most settle_frames + max_missed_frames + 1
// frames after it first appeared (item_tracker.h), so a ring of that many
// frames always holds the best frame. Each entry is a cv::Mat whose buffer is
// reused (copyTo into a Mat of the same size does not allocate), so keeping
// the ring costs one memcpy per frame and no allocation in the steady state;
// the JPEG is encoded only for the one frame that is chosen.
//
// Thread-compatible: owned by the decide stage.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "base/status.h"
#include "inference/detector.h"

namespace rvm {

class FrameRing {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `capacity` >= 1 frames.
  explicit FrameRing(int capacity);

  struct Entry {
    TimePoint t{};
    cv::Mat image;
    StageTimings timings;  // how the frame was processed, for the decision record
  };

  // Keeps a copy of `bgr`, taken at `t`, evicting the oldest copy.
  void Add(TimePoint t, const cv::Mat& bgr, const StageTimings& timings = {});
  // The entry taken at exactly `t`, or nullptr when it has been evicted.
  const Entry* Find(TimePoint t) const;
  // JPEG of the frame taken at `t`; NotFound when it is no longer kept.
  Result<std::string> EncodeJpeg(TimePoint t, int quality = 85) const;

  int capacity() const { return static_cast<int>(entries_.size()); }
  int size() const { return count_; }

 private:
  std::vector<Entry> entries_;
  int next_ = 0;
  int count_ = 0;
};

}  // namespace rvm
