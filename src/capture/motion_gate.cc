#include "capture/motion_gate.h"

#include <cassert>
#include <string>

#include <opencv2/imgproc.hpp>

namespace rvm {

MotionGate::MotionGate(const MotionGateOptions& options) : options_(options) {}

Status MotionGate::Validate(const MotionGateOptions& o) {
  if (o.thumbnail.width < 4 || o.thumbnail.height < 4) {
    return InvalidArgument("motion gate: thumbnail " + std::to_string(o.thumbnail.width) + "x" +
                           std::to_string(o.thumbnail.height) + " must be at least 4x4");
  }
  if (!(o.pixel_threshold > 0 && o.pixel_threshold < 255)) {
    return InvalidArgument("motion gate: pixel_threshold " + std::to_string(o.pixel_threshold) +
                           " must be in (0, 255)");
  }
  if (std::string problem = RoiProblem(o.roi); !problem.empty()) {
    return InvalidArgument("motion gate: region of interest " + RoiText(o.roi) + ": " + problem);
  }
  if (!(o.min_changed_fraction > 0 && o.min_changed_fraction <= 1)) {
    return InvalidArgument("motion gate: min_changed_fraction " +
                           std::to_string(o.min_changed_fraction) + " must be in (0, 1]");
  }
  if (!(o.background_rate > 0 && o.background_rate <= 1)) {
    return InvalidArgument("motion gate: background_rate " + std::to_string(o.background_rate) +
                           " must be in (0, 1]");
  }
  if (!(o.background_rate_in_motion >= 0 && o.background_rate_in_motion <= o.background_rate)) {
    return InvalidArgument("motion gate: background_rate_in_motion " +
                           std::to_string(o.background_rate_in_motion) +
                           " must be in [0, background_rate]");
  }
  return Status::Ok();
}

MotionVerdict MotionGate::Update(const cv::Mat& bgr) {
  assert(!bgr.empty() && bgr.depth() == CV_8U && "frames are 8-bit (see frame.h)");
  cv::Mat watched = bgr;
  if (!options_.roi.whole_frame()) {
    const PixelRect r = RoiPixels(options_.roi, bgr.cols, bgr.rows);
    watched = bgr(cv::Rect(r.x, r.y, r.width, r.height));  // a view, no copy
  }
  cv::resize(watched, small_, options_.thumbnail, 0, 0, cv::INTER_AREA);
  if (small_.channels() == 4) {
    cv::cvtColor(small_, colour_, cv::COLOR_BGRA2BGR);
    colour_.convertTo(thumb_f_, CV_32F);
  } else {
    small_.convertTo(thumb_f_, CV_32F);
  }
  if (!has_background_ || background_.type() != thumb_f_.type()) {
    thumb_f_.copyTo(background_);
    has_background_ = true;
    return {};
  }
  cv::subtract(thumb_f_, background_, diff_);
  if (options_.compensate_global_brightness) {
    cv::subtract(diff_, cv::mean(diff_), diff_);
  }
  cv::absdiff(diff_, cv::Scalar::all(0), diff_);
  // A pixel's change is its largest change in any channel: a green bottle on
  // a grey chute can have the chute's brightness and differ only in colour.
  if (diff_.channels() > 1) {
    cv::reduce(diff_.reshape(1, static_cast<int>(diff_.total())), per_pixel_, 1, cv::REDUCE_MAX);
  } else {
    per_pixel_ = diff_;
  }
  cv::compare(per_pixel_, options_.pixel_threshold, changed_, cv::CMP_GT);
  MotionVerdict verdict;
  verdict.changed_fraction =
      static_cast<double>(cv::countNonZero(changed_)) / static_cast<double>(changed_.total());
  verdict.motion = verdict.changed_fraction >= options_.min_changed_fraction;
  double rate = verdict.motion ? options_.background_rate_in_motion : options_.background_rate;
  cv::accumulateWeighted(thumb_f_, background_, rate);
  return verdict;
}

}  // namespace rvm
