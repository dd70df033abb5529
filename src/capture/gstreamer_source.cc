#include "capture/gstreamer_source.h"

#include <opencv2/videoio/registry.hpp>

namespace rvm {

namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The first word of the pipeline, for a short source name.
std::string FirstElement(const std::string& pipeline) {
  std::string t = Trim(pipeline);
  size_t end = t.find_first_of(" \t!");
  return t.substr(0, end);
}

}  // namespace

bool EndsInAppsink(const std::string& pipeline) {
  size_t bang = pipeline.rfind('!');
  std::string last = Trim(bang == std::string::npos ? pipeline : pipeline.substr(bang + 1));
  return last == "appsink" || last.rfind("appsink ", 0) == 0 || last.rfind("appsink\t", 0) == 0;
}

GStreamerSource::GStreamerSource(std::string pipeline, const Clock& clock)
    : pipeline_(std::move(pipeline)),
      clock_(clock),
      name_("gstreamer:" + FirstElement(pipeline_)) {}

Status GStreamerSource::Open() {
  Close();
  const std::string where = "gstreamer pipeline '" + pipeline_ + "'";
  if (Trim(pipeline_).empty()) return InvalidArgument("gstreamer source: empty pipeline");
  if (!EndsInAppsink(pipeline_)) {
    return InvalidArgument(where +
                           ": must end in an appsink element (e.g. '... ! videoconvert ! "
                           "video/x-raw,format=BGR ! appsink drop=true max-buffers=1')");
  }
  if (!cv::videoio_registry::hasBackend(cv::CAP_GSTREAMER)) {
    return Unsupported(where + ": this OpenCV build has no GStreamer support");
  }
  try {
    if (!capture_.open(pipeline_, cv::CAP_GSTREAMER)) {
      return Unavailable(where + ": failed to start (unknown element, or camera absent or busy)");
    }
  } catch (const cv::Exception& e) {
    return Unavailable(where + ": failed to start: " + e.what());
  }
  next_seq_ = 0;
  return Status::Ok();
}

void GStreamerSource::Close() { capture_.release(); }

Status GStreamerSource::Read(Frame& into) {
  if (!capture_.isOpened()) return Unavailable("gstreamer pipeline '" + pipeline_ + "': not open");
  bool got = false;
  try {
    got = capture_.read(into.image);
  } catch (const cv::Exception& e) {
    return Unavailable("gstreamer pipeline '" + pipeline_ + "': read failed: " + e.what());
  }
  if (!got || into.image.empty()) return EndOfStream(name_);
  RVM_RETURN_IF_ERROR(EnsureBgr8(into.image, scratch_, name_));
  StampFrame(into, next_seq_++, clock_, name_);
  return Status::Ok();
}

std::string GStreamerSource::Describe() const { return name_ + " (" + pipeline_ + ")"; }

}  // namespace rvm
