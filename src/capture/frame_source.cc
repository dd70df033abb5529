#include "capture/frame_source.h"

#include <opencv2/imgproc.hpp>

namespace rvm {

namespace {
constexpr char kEndOfStreamMarker[] = "end of stream";
}  // namespace

Status EndOfStream(const std::string& source_name) {
  return ResourceExhausted("source '" + source_name + "': " + kEndOfStreamMarker);
}

bool IsEndOfStream(const Status& s) {
  return s.code() == StatusCode::kResourceExhausted &&
         s.message().find(kEndOfStreamMarker) != std::string::npos;
}

Status EnsureBgr8(cv::Mat& image, cv::Mat& scratch, const std::string& source_name) {
  if (image.empty()) return InvalidArgument("source '" + source_name + "': empty image");
  if (image.type() == CV_8UC3 && image.isContinuous()) return Status::Ok();
  if (image.depth() != CV_8U && image.depth() != CV_16U) {
    return InvalidArgument("source '" + source_name + "': image depth " +
                           std::to_string(image.depth()) + " is neither 8 nor 16 bits");
  }
  int code = -1;
  switch (image.channels()) {
    case 1:
      code = cv::COLOR_GRAY2BGR;
      break;
    case 3:
      break;
    case 4:
      code = cv::COLOR_BGRA2BGR;
      break;
    default:
      return InvalidArgument("source '" + source_name + "': image has " +
                             std::to_string(image.channels()) + " channels; expected 1, 3 or 4");
  }
  // `src` keeps the input alive while `image` is rewritten.
  cv::Mat src = image;
  if (code >= 0) {
    cv::cvtColor(src, scratch, code);
    src = scratch;
  }
  if (src.depth() == CV_16U) {
    src.convertTo(image, CV_8U, 1.0 / 257.0);
  } else if (src.data != image.data) {
    src.copyTo(image);
  }
  if (!image.isContinuous()) image = image.clone();
  return Status::Ok();
}

void StampFrame(Frame& frame, int64_t seq, const Clock& clock, const std::string& source_name) {
  frame.seq = seq;
  frame.captured_at = clock.Now();
  if (frame.source_name != source_name) frame.source_name = source_name;
}

}  // namespace rvm
