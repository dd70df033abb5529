// GStreamerSource: frames from any GStreamer pipeline that ends in an
// appsink, read through OpenCV's GStreamer backend. This is how a Jetson CSI
// camera is read, e.g.
//   nvarguscamerasrc ! video/x-raw(memory:NVMM),width=1280,height=720,framerate=30/1
//     ! nvvidconv ! video/x-raw,format=BGRx ! videoconvert ! video/x-raw,format=BGR
//     ! appsink drop=true max-buffers=1
// (`drop=true max-buffers=1` keeps only the newest frame, so a reader that
// samples slowly in idle mode gets a fresh picture, not a queued old one.)
//
// A pipeline that does not end in appsink, or an OpenCV built without
// GStreamer, is a configuration error (fatal). A pipeline that fails to start
// (camera absent or busy) is temporary. When the pipeline stops delivering,
// Read() reports end of stream; ReconnectingSource treats that as a lost
// camera for live pipelines.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/videoio.hpp>

#include "base/clock.h"
#include "capture/frame_source.h"

namespace rvm {

// Whether the pipeline's last element is an appsink (what OpenCV reads from).
bool EndsInAppsink(const std::string& pipeline);

class GStreamerSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  GStreamerSource(std::string pipeline, const Clock& clock);

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return name_; }
  std::string Describe() const override;
  bool StartsOverWhenReopened() const override { return false; }

 private:
  const std::string pipeline_;
  const Clock& clock_;
  const std::string name_;
  cv::VideoCapture capture_;
  cv::Mat scratch_;
  int64_t next_seq_ = 0;
};

}  // namespace rvm
