#include "capture/camera_source.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace rvm {

namespace {

bool IsIndex(const std::string& s) {
  return !s.empty() && s.size() < 4 && s.find_first_not_of("0123456789") == std::string::npos;
}

std::string FourccToString(double value) {
  auto v = static_cast<uint32_t>(value);
  std::string s;
  for (int i = 0; i < 4; ++i) {
    char c = static_cast<char>((v >> (8 * i)) & 0xff);
    if (c != 0) s.push_back(c);
  }
  return s;
}

}  // namespace

CameraSource::CameraSource(CameraOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), name_("camera:" + options_.device) {}

Status CameraSource::Open() {
  Close();
  const std::string& device = options_.device;
  const std::string where = "camera '" + device + "'";
  if (device.empty()) return InvalidArgument("camera: no device given");
  if (!options_.fourcc.empty() && options_.fourcc.size() != 4) {
    return InvalidArgument(where + ": pixel format '" + options_.fourcc +
                           "' is not a four-character code");
  }
  if (options_.width < 0 || options_.height < 0 || options_.fps < 0 || options_.buffers < 0) {
    return InvalidArgument(where + ": width, height, fps and buffers must not be negative");
  }
  std::string path = IsIndex(device) ? "/dev/video" + device : device;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Unavailable(where + ": no such device");
    return Unavailable(where + ": cannot inspect: " + std::strerror(errno));
  }
  if (!S_ISCHR(st.st_mode)) return InvalidArgument(where + ": not a video device");
  if (::access(path.c_str(), R_OK | W_OK) != 0) {
    return Unavailable(where + ": permission denied (is the user in the 'video' group?)");
  }
  try {
    if (!capture_.open(path, cv::CAP_V4L2)) {
      return Unavailable(where + ": cannot be opened (busy, or not a capture device)");
    }
    if (!options_.fourcc.empty()) {
      const std::string& f = options_.fourcc;
      capture_.set(cv::CAP_PROP_FOURCC, cv::VideoWriter::fourcc(f[0], f[1], f[2], f[3]));
    }
    if (options_.width > 0) capture_.set(cv::CAP_PROP_FRAME_WIDTH, options_.width);
    if (options_.height > 0) capture_.set(cv::CAP_PROP_FRAME_HEIGHT, options_.height);
    if (options_.fps > 0) capture_.set(cv::CAP_PROP_FPS, options_.fps);
    if (options_.buffers > 0) capture_.set(cv::CAP_PROP_BUFFERSIZE, options_.buffers);
    granted_.width = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_WIDTH));
    granted_.height = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT));
    granted_.fps = capture_.get(cv::CAP_PROP_FPS);
    granted_.fourcc = FourccToString(capture_.get(cv::CAP_PROP_FOURCC));
  } catch (const cv::Exception& e) {
    capture_.release();
    return Unavailable(where + ": driver error: " + e.what());
  }
  bool size_differs = (options_.width > 0 && granted_.width != options_.width) ||
                      (options_.height > 0 && granted_.height != options_.height);
  bool fps_differs = options_.fps > 0 && std::abs(granted_.fps - options_.fps) > 0.5;
  if (options_.require_requested && (size_differs || fps_differs)) {
    Status s =
        InvalidArgument(where + ": requested " + std::to_string(options_.width) + "x" +
                        std::to_string(options_.height) + "@" + std::to_string(options_.fps) +
                        " but the driver granted " + std::to_string(granted_.width) + "x" +
                        std::to_string(granted_.height) + "@" + std::to_string(granted_.fps));
    capture_.release();
    return s;
  }
  next_seq_ = 0;
  return Status::Ok();
}

void CameraSource::Close() { capture_.release(); }

Status CameraSource::Read(Frame& into) {
  if (!capture_.isOpened()) return Unavailable("camera '" + options_.device + "': not open");
  bool got = false;
  try {
    got = capture_.read(into.image);
  } catch (const cv::Exception& e) {
    return Unavailable("camera '" + options_.device + "': read failed: " + e.what());
  }
  if (!got || into.image.empty()) {
    return Unavailable("camera '" + options_.device + "': no frame (unplugged or stalled)");
  }
  RVM_RETURN_IF_ERROR(EnsureBgr8(into.image, scratch_, name_));
  StampFrame(into, next_seq_++, clock_, name_);
  return Status::Ok();
}

std::string CameraSource::Describe() const {
  char buf[200];
  std::snprintf(buf, sizeof buf, " requested %dx%d@%.3g %s, granted %dx%d@%.3g %s", options_.width,
                options_.height, options_.fps, options_.fourcc.c_str(), granted_.width,
                granted_.height, granted_.fps, granted_.fourcc.c_str());
  return name_ + buf;
}

}  // namespace rvm
