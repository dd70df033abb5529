// Test helper: a JPEG's bytes with an EXIF orientation tag added.
#pragma once

#include <cstdint>
#include <vector>

namespace rvm::testing {

// A JPEG with an EXIF APP1 segment holding only the orientation tag, inserted
// after SOI, in either byte order.
inline std::vector<uint8_t> WithExifOrientation(const std::vector<uint8_t>& jpeg, int orientation,
                                                bool big_endian = false) {
  std::vector<uint8_t> tiff;
  auto put16 = [&](int v) {
    if (big_endian) {
      tiff.push_back(static_cast<uint8_t>(v >> 8));
      tiff.push_back(static_cast<uint8_t>(v));
    } else {
      tiff.push_back(static_cast<uint8_t>(v));
      tiff.push_back(static_cast<uint8_t>(v >> 8));
    }
  };
  auto put32 = [&](int v) {
    if (big_endian) {
      put16(v >> 16);
      put16(v & 0xFFFF);
    } else {
      put16(v & 0xFFFF);
      put16(v >> 16);
    }
  };
  tiff.push_back(big_endian ? 'M' : 'I');
  tiff.push_back(big_endian ? 'M' : 'I');
  put16(42);
  put32(8);       // IFD0 right after the header
  put16(2);       // two entries: a tag before the orientation, then the orientation
  put16(0x010F);  // Make, ASCII, 4 bytes inline
  put16(2);
  put32(4);
  for (char c : {'R', 'V', 'M', '\0'}) tiff.push_back(static_cast<uint8_t>(c));
  put16(0x0112);
  put16(3);
  put32(1);
  put16(orientation);
  put16(0);
  put32(0);  // no next IFD
  std::vector<uint8_t> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), tiff.begin(), tiff.end());
  const size_t length = app1.size() + 2;
  std::vector<uint8_t> out = {0xFF, 0xD8, 0xFF, 0xE1};  // SOI, APP1
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length & 0xFF));
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

}  // namespace rvm::testing
