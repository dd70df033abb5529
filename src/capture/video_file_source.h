// VideoFileSource: frames from a video file (any container and codec the
// OpenCV FFmpeg backend decodes), for replaying a recorded chute in tests,
// demos and benchmarks.
//
// At the end of the file it either reports end of stream or, with `loop`,
// starts again from the first frame (sequence numbers keep counting). With
// `pace`, playback runs on the clock like a live camera: a fast reader waits
// (through the SleepFn) for the next frame's time, and a slow reader (idle
// sampling at 2 fps) gets the current frame, the ones in between being
// skipped, so the scene moves at its real speed. Without `pace`, every frame
// is delivered, as fast as it decodes.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <opencv2/videoio.hpp>

#include "base/clock.h"
#include "capture/frame_source.h"
#include "capture/sleep.h"

namespace rvm {

struct VideoFileOptions {
  // Path of the video file.
  std::string path;
  // Start again from the first frame at the end instead of ending.
  bool loop = false;
  // Deliver at the file's frame rate (or `fallback_fps` when the file does
  // not state one) instead of as fast as possible.
  bool pace = false;
  // Frame rate assumed for pacing when the container reports none.
  double fallback_fps = 25.0;
};

class VideoFileSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  VideoFileSource(VideoFileOptions options, const Clock& clock, SleepFn sleep = RealSleep());

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return name_; }
  std::string Describe() const override;
  bool StartsOverWhenReopened() const override { return true; }

  // The file's frame rate as used for pacing (valid after Open()).
  double fps() const { return fps_; }
  // How many times playback wrapped around to the start.
  int64_t loops() const { return loops_; }

 private:
  // Advances one frame (decoded but not converted), wrapping when looping.
  Status Grab();
  Status Rewind();

  const VideoFileOptions options_;
  const Clock& clock_;
  SleepFn sleep_;
  const std::string name_;
  cv::VideoCapture capture_;
  cv::Mat scratch_;
  double fps_ = 0.0;
  int width_ = 0;
  int height_ = 0;
  int64_t next_seq_ = 0;
  int64_t loops_ = 0;
  int64_t consumed_ = 0;  // frames taken from the file since Open, across loops
  std::chrono::steady_clock::time_point started_at_{};
};

}  // namespace rvm
