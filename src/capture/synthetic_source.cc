#include "capture/synthetic_source.h"

#include <algorithm>
#include <cstdio>

#include <opencv2/imgproc.hpp>

namespace rvm {

SyntheticSource::SyntheticSource(SyntheticSceneOptions options, const Clock& clock, SleepFn sleep)
    : options_(std::move(options)),
      clock_(clock),
      sleep_(std::move(sleep)),
      name_(options_.name),
      rng_(options_.seed) {}

Status SyntheticSource::Open() {
  if (options_.width <= 0 || options_.height <= 0) {
    return InvalidArgument("synthetic source '" + name_ + "': frame size " +
                           std::to_string(options_.width) + "x" + std::to_string(options_.height) +
                           " must be positive");
  }
  if (options_.pace && !(options_.fps > 0)) {
    return InvalidArgument("synthetic source '" + name_ + "': fps must be > 0 when pacing");
  }
  for (const SyntheticObject& o : options_.objects) {
    if (o.exit_frame <= o.enter_frame) {
      return InvalidArgument("synthetic source '" + name_ + "': object exit_frame " +
                             std::to_string(o.exit_frame) + " must be after enter_frame " +
                             std::to_string(o.enter_frame));
    }
  }
  // Chute-like background: a vertical light gradient, two darker side walls
  // and a fixed pattern of low-contrast blotches from the seed.
  background_.create(options_.height, options_.width, CV_8UC3);
  for (int y = 0; y < options_.height; ++y) {
    auto level = static_cast<uchar>(90 + 60 * y / std::max(1, options_.height - 1));
    background_.row(y).setTo(cv::Scalar(level, level, level + 10));
  }
  int wall = options_.width / 10;
  background_.colRange(0, wall).setTo(cv::Scalar(50, 50, 55));
  background_.colRange(options_.width - wall, options_.width).setTo(cv::Scalar(50, 50, 55));
  cv::RNG texture(options_.seed * 7919 + 1);
  for (int i = 0; i < 40; ++i) {
    cv::Point c(texture.uniform(0, options_.width), texture.uniform(0, options_.height));
    int r = texture.uniform(2, std::max(3, options_.width / 40));
    int shade = texture.uniform(-20, 20);
    cv::circle(background_, c, r, cv::Scalar::all(110 + shade), cv::FILLED, cv::LINE_AA);
  }
  rng_ = cv::RNG(options_.seed);
  next_scene_frame_ = 0;
  last_scene_frame_ = -1;
  delivered_ = 0;
  opened_at_ = clock_.Now();
  open_ = true;
  return Status::Ok();
}

void SyntheticSource::Close() { open_ = false; }

bool SyntheticSource::ObjectVisibleAt(int64_t n) const {
  return std::any_of(
      options_.objects.begin(), options_.objects.end(),
      [n](const SyntheticObject& o) { return n >= o.enter_frame && n < o.exit_frame; });
}

void SyntheticSource::DrawObjects(int64_t n, cv::Mat& image) const {
  for (const SyntheticObject& o : options_.objects) {
    if (n < o.enter_frame || n >= o.exit_frame) continue;
    // Slides from fully left of the frame to fully right of it; on its first
    // and last visible frames it is partly inside.
    double t = (static_cast<double>(n - o.enter_frame) + 0.5) /
               static_cast<double>(o.exit_frame - o.enter_frame);
    int x = static_cast<int>(-o.size.width + t * (options_.width + o.size.width));
    int y = (options_.height - o.size.height) / 2;
    int neck_w = std::max(1, o.size.width / 3);
    int neck_h = o.size.height / 5;
    cv::rectangle(image, cv::Rect(x, y + neck_h, o.size.width, o.size.height - neck_h), o.color,
                  cv::FILLED);
    cv::rectangle(image, cv::Rect(x + (o.size.width - neck_w) / 2, y, neck_w, neck_h), o.color,
                  cv::FILLED);
  }
}

Status SyntheticSource::Read(Frame& into) {
  if (!open_) return Unavailable("synthetic source '" + name_ + "': not open");
  int64_t scene_frame = next_scene_frame_;
  if (options_.pace) {
    // Like a camera, the scene moves on with time whether or not anyone
    // reads: take the frame "exposed" most recently, or wait for the next.
    auto elapsed = std::chrono::duration<double>(clock_.Now() - opened_at_).count();
    scene_frame = std::max(next_scene_frame_, static_cast<int64_t>(elapsed * options_.fps));
    auto due = opened_at_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                std::chrono::duration<double>(scene_frame / options_.fps));
    auto now = clock_.Now();
    if (due > now) sleep_(due - now);
  }
  if (options_.frame_count > 0 && scene_frame >= options_.frame_count) return EndOfStream(name_);
  next_scene_frame_ = scene_frame + 1;
  last_scene_frame_ = scene_frame;
  const int64_t n = scene_frame;
  double offset =
      std::clamp(options_.brightness_drift_per_frame * static_cast<double>(n), -100.0, 100.0);
  if (offset == 0.0) {
    background_.copyTo(into.image);
  } else {
    background_.convertTo(into.image, CV_8U, 1.0, offset);
  }
  DrawObjects(n, into.image);
  if (options_.noise_stddev > 0) {
    noise_.create(into.image.size(), CV_16SC3);
    rng_.fill(noise_, cv::RNG::NORMAL, 0.0, options_.noise_stddev);
    cv::add(into.image, noise_, into.image, cv::noArray(), CV_8U);
  }
  StampFrame(into, delivered_++, clock_, name_);
  return Status::Ok();
}

std::string SyntheticSource::Describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "synthetic:%s %dx%d@%.3g, %zu object(s), noise %.3g%s",
                name_.c_str(), options_.width, options_.height, options_.fps,
                options_.objects.size(), options_.noise_stddev, options_.pace ? ", paced" : "");
  return buf;
}

}  // namespace rvm
