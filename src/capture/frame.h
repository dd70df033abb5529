// Frame: one image from a FrameSource, with where and when it came from.
//
// Frames are owned by the caller and reused: a source writes into the
// caller's Frame, and `image` is reallocated only when the frame size or type
// changes, so a pipeline that recycles Frames from a fixed pool does no heap
// allocation per frame in the steady state. A Frame is a plain value; it is
// not synchronised, and one thread at a time may touch it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

namespace rvm {

struct Frame {
  // The picture, always 8-bit BGR (CV_8UC3), continuous.
  cv::Mat image;
  // Per-source sequence number: 0 for the first frame after Open(), +1 per
  // delivered frame. A reconnecting source keeps counting across reconnects,
  // so a gap never reuses a number.
  int64_t seq = 0;
  // Monotonic time the frame was captured (taken from the source's Clock),
  // for latency and pacing; records turn it into wall time with
  // Clock::WallMillisAt.
  std::chrono::steady_clock::time_point captured_at{};
  // Which source produced it, as FrameSource::Describe() names it. Assignment
  // reuses the string's capacity, so a steady name costs no allocation.
  std::string source_name;
};

}  // namespace rvm
