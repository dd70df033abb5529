#include "pipeline/frame_ring.h"

#include <opencv2/imgcodecs.hpp>

namespace rvm {

FrameRing::FrameRing(int capacity) : entries_(capacity < 1 ? 1 : capacity) {}

void FrameRing::Add(TimePoint t, const cv::Mat& bgr, const StageTimings& timings) {
  Entry& e = entries_[next_];
  e.t = t;
  e.timings = timings;
  bgr.copyTo(e.image);
  next_ = (next_ + 1) % capacity();
  if (count_ < capacity()) ++count_;
}

const FrameRing::Entry* FrameRing::Find(TimePoint t) const {
  for (int k = 1; k <= count_; ++k) {  // newest first
    const Entry& e = entries_[(next_ - k + capacity()) % capacity()];
    if (e.t == t) return &e;
  }
  return nullptr;
}

Result<std::string> FrameRing::EncodeJpeg(TimePoint t, int quality) const {
  const Entry* e = Find(t);
  if (e == nullptr || e->image.empty()) {
    return NotFound("frame ring: the best frame is no longer kept");
  }
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".jpg", e->image, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    return Internal("frame ring: JPEG encoding failed");
  }
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace rvm
