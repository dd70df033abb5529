// ImageDirSource: frames from the image files in a directory, in name order.
// For replaying still photos through the pipeline, and, in watch mode, for a
// directory another process drops pictures into.
//
// Files with an image extension (jpg, jpeg, png, bmp, webp, tif, tiff; any
// case) are read; other files and hidden files (".name") are ignored. A file
// that cannot be read or decoded is skipped, counted and reported through
// skipped() / last_skip_error() and the optional `on_skip` callback; the
// source carries on with the next file and never stops for a bad one.
//
// At the end: end of stream; or with `loop`, start over; or with `watch`,
// poll the directory every `poll_interval` for files not delivered yet (in
// name order among themselves). In watch mode, a Read() that finds nothing
// new waits one poll interval and returns kUnavailable ("no new image yet"),
// so the caller stays in control. Writers should create a file under a hidden
// or temporary name and rename it into place, so a half-written file is never
// picked up.
//
// Reopening (Open() again, as a pipeline restart does) starts over from the
// first file, like a video file, except in watch mode: a watched directory
// goes on with the files it has not delivered yet, so no picture is
// delivered twice by the same source object.
//
// Files are read into a reused byte buffer, decoded by the detection core's
// ImageDecoder (JPEGs turned upright by their EXIF orientation; an image
// above `max_pixels` is skipped, refused from its header before decoding),
// and copied into the caller's frame buffer, which is reused for same-sized
// images. This source is for replay and tests, not the camera path.
//
// Thread-compatible, like every FrameSource.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/clock.h"
#include "capture/frame_source.h"
#include "capture/sleep.h"
#include "vision/image_decoder.h"

namespace rvm {

struct ImageDirOptions {
  // The directory to read.
  std::string path;
  // Start over from the first file after the last one (ignored with watch).
  bool loop = false;
  // After the last file, keep polling for new ones instead of ending.
  bool watch = false;
  // How often a watched directory is rescanned.
  std::chrono::milliseconds poll_interval{200};
  // Larger images are skipped (their size is read from the header first).
  int64_t max_pixels = ImageDecoder::kDefaultMaxPixels;
  // Called with the reason whenever a file is skipped (for logging).
  std::function<void(const Status&)> on_skip;
};

class ImageDirSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  ImageDirSource(ImageDirOptions options, const Clock& clock, SleepFn sleep = RealSleep());

  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return name_; }
  std::string Describe() const override;
  // Unless watched (see above).
  bool StartsOverWhenReopened() const override { return !options_.watch; }

  // File name (without directory) of the last delivered frame.
  const std::string& last_file() const { return last_file_; }
  // Files skipped because they could not be read or decoded (any thread may
  // read the count, and Describe() with it, while another reads frames), and
  // why the latest one was (the reading thread's).
  int64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }
  const Status& last_skip_error() const { return last_skip_error_; }

 private:
  // Lists image files not yet delivered, sorted, into pending_.
  Status Scan();
  void Skip(Status why);

  const ImageDirOptions options_;
  const Clock& clock_;
  SleepFn sleep_;
  const std::string name_;
  bool open_ = false;
  std::deque<std::string> pending_;
  std::unordered_set<std::string> delivered_;  // names taken from pending_ (this pass)
  int64_t frames_this_pass_ = 0;
  std::vector<uint8_t> bytes_;
  ImageDecoder decoder_;
  DecodedImage decoded_;
  cv::Mat scratch_;
  std::string last_file_;
  int64_t next_seq_ = 0;
  std::atomic<int64_t> skipped_{0};
  Status last_skip_error_;
};

}  // namespace rvm
