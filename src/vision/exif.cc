#include "vision/exif.h"

#include <opencv2/core.hpp>

#include <cstring>

#include "vision/image_header.h"

namespace rvm {

int ExifOrientation(const uint8_t* app1, size_t size) {
  constexpr size_t kHeader = 6;  // "Exif\0\0", then TIFF data
  if (size < kHeader || std::memcmp(app1, "Exif\0\0", kHeader) != 0) return 1;
  constexpr uint16_t kOrientationTag = 0x0112;
  const auto value = TiffTag(app1 + kHeader, size - kHeader, kOrientationTag);
  return value && *value >= 1 && *value <= 8 ? static_cast<int>(*value) : 1;
}

void ApplyOrientation(const cv::Mat& src, int orientation, cv::Mat& dst) {
  // As OpenCV's imread turns images (its ExifTransform).
  switch (orientation) {
    case 2:
      cv::flip(src, dst, 1);
      break;  // mirrored left-right
    case 3:
      cv::flip(src, dst, -1);
      break;  // upside down
    case 4:
      cv::flip(src, dst, 0);
      break;  // mirrored top-bottom
    case 5:
      cv::transpose(src, dst);
      break;
    case 6:
      cv::rotate(src, dst, cv::ROTATE_90_CLOCKWISE);
      break;
    case 7:
      cv::transpose(src, dst);
      cv::flip(dst, dst, -1);
      break;
    case 8:
      cv::rotate(src, dst, cv::ROTATE_90_COUNTERCLOCKWISE);
      break;
    default:
      src.copyTo(dst);
      break;
  }
}

}  // namespace rvm
