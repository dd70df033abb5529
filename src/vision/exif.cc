#include "vision/exif.h"

#include <opencv2/core.hpp>

#include <cstring>

namespace rvm {

int ExifOrientation(const uint8_t* app1, size_t size) {
  constexpr size_t kHeader = 6;  // "Exif\0\0"
  if (size < kHeader + 8 || std::memcmp(app1, "Exif\0\0", kHeader) != 0) return 1;
  const uint8_t* tiff = app1 + kHeader;
  const size_t n = size - kHeader;
  bool big_endian;
  if (tiff[0] == 'I' && tiff[1] == 'I') {
    big_endian = false;
  } else if (tiff[0] == 'M' && tiff[1] == 'M') {
    big_endian = true;
  } else {
    return 1;
  }
  auto u16 = [&](size_t o) -> uint32_t {
    return big_endian ? (tiff[o] << 8) | tiff[o + 1] : tiff[o] | (tiff[o + 1] << 8);
  };
  auto u32 = [&](size_t o) -> uint32_t {
    return big_endian ? (u16(o) << 16) | u16(o + 2) : u16(o) | (u16(o + 2) << 16);
  };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd < 8 || ifd > n - 2) return 1;
  const size_t entries = u16(ifd);
  constexpr size_t kEntry = 12;  // tag, type, count, value
  constexpr uint32_t kOrientationTag = 0x0112;
  constexpr uint32_t kShort = 3;
  if (ifd + 2 + entries * kEntry > n) return 1;  // the IFD runs past the segment
  for (size_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + i * kEntry;
    if (u16(e) != kOrientationTag) continue;
    if (u16(e + 2) != kShort || u32(e + 4) != 1) return 1;
    const uint32_t value = u16(e + 8);
    return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
  }
  return 1;
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
