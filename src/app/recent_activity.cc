#include "app/recent_activity.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/annotate.h"

namespace rvm::app {
namespace {

// A JPEG at most `max_width` pixels wide of a JPEG; empty on failure.
std::string Thumbnail(const std::string& jpeg, int max_width) {
  if (jpeg.empty()) return {};
  std::vector<uint8_t> bytes(jpeg.begin(), jpeg.end());
  cv::Mat image = cv::imdecode(bytes, cv::IMREAD_REDUCED_COLOR_2);
  if (image.empty()) return {};
  if (image.cols > max_width) {
    const double scale = static_cast<double>(max_width) / image.cols;
    cv::resize(image, image, cv::Size(), scale, scale, cv::INTER_AREA);
  }
  std::vector<uint8_t> out;
  if (!cv::imencode(".jpg", image, out, {cv::IMWRITE_JPEG_QUALITY, 80})) return {};
  return std::string(out.begin(), out.end());
}

}  // namespace

RecentActivity::RecentActivity(RecentActivityOptions options,
                               const std::vector<std::string>& labels, const Clock& clock)
    : options_(options), labels_(labels), clock_(clock) {}

std::vector<ops::RecentDecision> RecentActivity::RecentDecisions(int max) const {
  std::vector<ops::RecentDecision> out;
  std::lock_guard lock(mu_);
  for (auto it = recent_.rbegin(); it != recent_.rend() && static_cast<int>(out.size()) < max;
       ++it) {
    out.push_back(*it);
  }
  return out;
}

std::string RecentActivity::SnapshotJpeg() const {
  cv::Mat image;
  Detections detections;
  {
    std::lock_guard lock(mu_);
    if (snapshot_.empty()) return {};
    image = snapshot_.clone();
    detections = snapshot_detections_;
  }
  DrawDetections(image, detections, labels_);
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 85})) return {};
  return std::string(bytes.begin(), bytes.end());
}

void RecentActivity::OnFrameDetected(const Frame& frame, const Detections& detections) {
  const auto now = clock_.Now();
  std::lock_guard lock(mu_);
  if (snapshot_.empty() || now - snapshot_at_ >= options_.snapshot_period) {
    frame.image.copyTo(snapshot_);
    snapshot_detections_ = detections;
    snapshot_at_ = now;
  }
}

void RecentActivity::OnDecision(const Decision& decision) {
  ops::RecentDecision recent;
  recent.decision = decision;
  recent.decision.best_frame_jpeg.clear();
  // Decoded and shrunk outside the lock: readers never wait for a JPEG codec.
  recent.thumbnail_jpeg = Thumbnail(decision.best_frame_jpeg, options_.thumbnail_width);
  std::lock_guard lock(mu_);
  recent_.push_back(std::move(recent));
  while (static_cast<int>(recent_.size()) > options_.recent_decisions) recent_.pop_front();
}

}  // namespace rvm::app
