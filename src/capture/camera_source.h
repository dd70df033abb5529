// CameraSource: a USB (UVC) or other V4L2 camera, read through OpenCV's V4L2
// backend.
//
// Open() asks the driver for the configured size, rate and pixel format and
// then reads back what it granted: drivers silently pick the nearest mode
// they support. The granted mode is reported by Describe() and granted(); with
// `require_requested`, a mismatch fails Open() instead.
//
// The picture is converted to BGR by the backend (MJPG is decoded on read,
// so frames that are never read cost no decode).
//
// A missing device ("no such device") or one that cannot be opened is a
// temporary failure (kUnavailable): the camera may be plugged in later, and
// ReconnectingSource keeps trying. A device path that exists but is not a
// character device is a configuration error.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/videoio.hpp>

#include "base/clock.h"
#include "capture/frame_source.h"

namespace rvm {

struct CameraOptions {
  // Device node ("/dev/video0") or a bare index ("0").
  std::string device = "/dev/video0";
  // Requested frame size in pixels and rate in frames per second; 0 leaves
  // the driver's default.
  int width = 1280;
  int height = 720;
  double fps = 30.0;
  // Four-character pixel format to request ("MJPG" lets USB 2 cameras reach
  // 720p30; "YUYV" is uncompressed); empty leaves the driver's default.
  std::string fourcc = "MJPG";
  // Fail Open() if the driver grants a different size or rate.
  bool require_requested = false;
  // Driver buffers to queue; 0 keeps OpenCV's default (4). While idle
  // sampling reads slower than the camera delivers, the queue fills and a
  // read returns the oldest queued frame, so fewer buffers mean fresher
  // idle samples (at the cost of dropped frames under load).
  int buffers = 0;
};

// What the driver actually granted.
struct CameraMode {
  int width = 0;
  int height = 0;
  double fps = 0.0;
  std::string fourcc;
};

class CameraSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  CameraSource(CameraOptions options, const Clock& clock);

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return name_; }
  std::string Describe() const override;
  bool StartsOverWhenReopened() const override { return false; }

  // Valid after a successful Open().
  const CameraMode& granted() const { return granted_; }

 private:
  const CameraOptions options_;
  const Clock& clock_;
  const std::string name_;
  cv::VideoCapture capture_;
  cv::Mat scratch_;
  CameraMode granted_;
  int64_t next_seq_ = 0;
};

}  // namespace rvm
