// MotionGate: a cheap test for "has anything changed in the chute?", run
// instead of the detector while the machine is idle.
//
// Each frame is shrunk to a small thumbnail (area averaging, which also
// smooths sensor noise) and compared with a background thumbnail that follows
// the scene slowly. A pixel has changed when, in any colour channel, it
// differs from the background by more than `pixel_threshold` levels after
// removing the frame-wide mean difference (so the whole image getting
// brighter or darker is not motion). Channels are compared separately, not as
// grey, because a green bottle can have the grey chute's brightness;
// the frame has motion when the changed fraction reaches `min_changed_fraction`.
// The background absorbs each frame at `background_rate` (slower while there
// is motion), so slow lighting drift and an object left lying in the chute
// both fade into it.
//
// Pure computation on cv::Mat: no I/O, no clock. All buffers are members and
// are reused, so Update() does not allocate once the thumbnail size is set.
// Thread-compatible: one thread at a time.
#pragma once

#include <opencv2/core.hpp>

#include "base/status.h"
#include "config/roi.h"

namespace rvm {

struct MotionGateOptions {
  // Thumbnail size the comparison runs at; 64x48 costs well under a
  // millisecond and still sees a bottle-sized object.
  cv::Size thumbnail{64, 48};
  // Difference (0-255, in any channel) from the background above which a
  // thumbnail pixel counts as changed. Must exceed the sensor noise left after
  // averaging down to the thumbnail.
  double pixel_threshold = 18.0;
  // Fraction (0-1] of changed thumbnail pixels that makes a frame "motion".
  double min_changed_fraction = 0.01;
  // Weight (0-1] of each quiet frame in the background's running average.
  double background_rate = 0.05;
  // Weight while the frame shows motion: lower, so an object passing through
  // does not burn into the background, but not zero, so one left lying
  // there is absorbed eventually (in about 1/rate samples).
  double background_rate_in_motion = 0.005;
  // Remove the frame-wide mean difference before thresholding, so a global
  // brightness step (a light switched on) is not taken for an object.
  bool compensate_global_brightness = true;
  // The part of the frame watched (config/roi.h), the detector's region of
  // interest: movement outside the chute's window is not an item.
  Roi roi;
};

struct MotionVerdict {
  bool motion = false;
  // Fraction of thumbnail pixels that changed, 0-1.
  double changed_fraction = 0.0;
};

class MotionGate {
 public:
  explicit MotionGate(const MotionGateOptions& options = {});

  // Rejects out-of-range options with a message naming the field.
  static Status Validate(const MotionGateOptions& options);

  // Compares `bgr` (8-bit, 1, 3 or 4 channels, any size) with the background,
  // then folds it into the background. The first frame after construction or
  // Reset() only seeds the background and reports no motion.
  MotionVerdict Update(const cv::Mat& bgr);

  // Forgets the background (e.g. after the camera reconnects, or the view
  // changed).
  void Reset() { has_background_ = false; }

  // Replaces min_changed_fraction (a configuration reload), in (0, 1]; the
  // background is kept.
  void set_min_changed_fraction(double fraction) { options_.min_changed_fraction = fraction; }

 private:
  MotionGateOptions options_;
  bool has_background_ = false;
  cv::Mat small_;       // thumbnail, source channels
  cv::Mat colour_;      // thumbnail without alpha (BGRA input only)
  cv::Mat thumb_f_;     // thumbnail, float, 1 or 3 channels
  cv::Mat background_;  // running average of thumb_f_
  cv::Mat diff_;        // float, |thumbnail - background| per channel
  cv::Mat per_pixel_;   // float, largest channel difference per pixel
  cv::Mat changed_;     // 8-bit mask
};

}  // namespace rvm
