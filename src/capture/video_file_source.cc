#include "capture/video_file_source.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace rvm {

VideoFileSource::VideoFileSource(VideoFileOptions options, const Clock& clock, SleepFn sleep)
    : options_(std::move(options)),
      clock_(clock),
      sleep_(std::move(sleep)),
      name_("video:" + std::filesystem::path(options_.path).filename().string()) {}

Status VideoFileSource::Open() {
  Close();
  const std::string& path = options_.path;
  std::error_code ec;
  if (path.empty()) return InvalidArgument("video source: no file path given");
  if (!std::filesystem::exists(path, ec)) return NotFound("video '" + path + "': no such file");
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgument("video '" + path + "': not a regular file");
  }
  try {
    if (!capture_.open(path, cv::CAP_FFMPEG)) {
      return InvalidArgument("video '" + path +
                             "': cannot be opened as a video (unknown container "
                             "or codec)");
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument("video '" + path + "': cannot be opened: " + e.what());
  }
  double fps = capture_.get(cv::CAP_PROP_FPS);
  fps_ = (std::isfinite(fps) && fps > 0 && fps < 1000) ? fps : options_.fallback_fps;
  width_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_WIDTH));
  height_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT));
  if (width_ <= 0 || height_ <= 0) {
    // FFmpeg opens a container without a video stream it can decode (audio
    // only, an unknown codec, a cut-off header) and reports a 0x0 picture;
    // reading it would end at once and the run would look like an empty file.
    capture_.release();
    return InvalidArgument("video '" + path + "': no decodable video stream");
  }
  next_seq_ = 0;
  loops_ = 0;
  consumed_ = 0;
  started_at_ = clock_.Now();
  return Status::Ok();
}

void VideoFileSource::Close() { capture_.release(); }

Status VideoFileSource::Rewind() {
  // Seeking to frame 0 is reliable for the FFmpeg backend; reopening is the
  // fallback for containers that refuse to seek.
  if (!capture_.set(cv::CAP_PROP_POS_FRAMES, 0)) {
    capture_.release();
    if (!capture_.open(options_.path, cv::CAP_FFMPEG)) {
      return Unavailable("video '" + options_.path + "': cannot reopen to loop");
    }
  }
  ++loops_;
  return Status::Ok();
}

Status VideoFileSource::Grab() {
  try {
    if (capture_.grab()) {
      ++consumed_;
      return Status::Ok();
    }
    if (!options_.loop) return EndOfStream(name_);
    RVM_RETURN_IF_ERROR(Rewind());
    // A file that yields no frame straight after rewinding would loop forever
    // without producing anything.
    if (!capture_.grab()) {
      return InvalidArgument("video '" + options_.path + "': no frame decodes after rewinding");
    }
  } catch (const cv::Exception& e) {
    return InvalidArgument("video '" + options_.path + "': decode failed: " + e.what());
  }
  ++consumed_;
  return Status::Ok();
}

Status VideoFileSource::Read(Frame& into) {
  if (!capture_.isOpened()) return Unavailable("video '" + options_.path + "': not open");
  if (options_.pace) {
    // Frame i of the playback is "exposed" at i / fps after Open(). Wait for
    // the next one, or, if the reader is slower than the file (idle
    // sampling), skip to the latest one, as a live camera would.
    auto due = started_at_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(consumed_ / fps_));
    auto now = clock_.Now();
    if (due > now) {
      sleep_(due - now);
    } else {
      auto latest =
          static_cast<int64_t>(std::chrono::duration<double>(now - started_at_).count() * fps_);
      while (consumed_ < latest) RVM_RETURN_IF_ERROR(Grab());
    }
  }
  RVM_RETURN_IF_ERROR(Grab());
  bool got = false;
  try {
    got = capture_.retrieve(into.image);
  } catch (const cv::Exception& e) {
    return InvalidArgument("video '" + options_.path + "': decode failed: " + e.what());
  }
  if (!got) return InvalidArgument("video '" + options_.path + "': frame cannot be decoded");
  RVM_RETURN_IF_ERROR(EnsureBgr8(into.image, scratch_, name_));
  StampFrame(into, next_seq_++, clock_, name_);
  return Status::Ok();
}

std::string VideoFileSource::Describe() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, " %dx%d@%.3g%s%s", width_, height_, fps_,
                options_.loop ? ", looping" : "", options_.pace ? ", paced" : "");
  return name_ + buf;
}

}  // namespace rvm
