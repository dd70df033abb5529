// ImageDecoder: encoded image bytes (JPEG, PNG, BMP, ...) -> BGR8 pixels in a
// buffer the decoder owns and reuses.
//
// JPEGs go through libjpeg-turbo directly. When the caller says how large the
// image needs to be (a model input is usually far smaller than a photo), the
// JPEG is decoded at the smallest DCT scale (1/8, 1/4 or 1/2) that still covers that size:
// the decoder then skips most of the inverse-DCT and colour work, which is
// the largest cost of the whole per-image path for big photos. The pixel
// limit is checked from the header, before any pixel is decoded. A JPEG's
// EXIF orientation is applied (as OpenCV's imread does): the image comes out
// upright, and its sizes are the upright ones. A JPEG that is cut short, or
// whose coded data libjpeg reports as corrupt (bad Huffman or arithmetic
// code, a marker in the data, restart markers out of sequence, inconsistent
// progressive scans, bytes the decoder could not place), is refused with an
// error naming the image and libjpeg's message, never decoded with the grey
// or garbled blocks libjpeg would put in its place.
// Other formats go through OpenCV's imdecode; for PNG, BMP, WebP, TIFF and
// PNM the pixel limit is checked from the header first, as for JPEG.
//
// Thread-compatible: one decoder per thread.
#pragma once

#include <opencv2/core.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace rvm {

struct DecodedImage {
  cv::Mat bgr;             // header over the decoder's buffer; valid until the next Decode
  int original_width = 0;  // full size, upright (stored size, turned by the EXIF orientation)
  int original_height = 0;
  float scale = 1.0f;  // decoded size / original size (1, or M/8 for scaled JPEGs)
};

// `image` turned by EXIF orientation `orientation` (vision/exif.h): its pixels
// into `dst` (as ApplyOrientation: reused when it already has the turned size),
// its full size swapped on a quarter turn, its scale kept.
DecodedImage Oriented(const DecodedImage& image, int orientation, cv::Mat& dst);

// What the decoded image will be fitted into; lets JPEGs decode at reduced scale.
struct DecodeTarget {
  int width = 0, height = 0;  // 0 = decode at full size
  bool keep_aspect = true;    // letterbox (true) or stretch (false)
};

class ImageDecoder {
 public:
  // Default pixel limit: 50 megapixels.
  static constexpr int64_t kDefaultMaxPixels = 50'000'000;
  explicit ImageDecoder(int64_t max_pixels = kDefaultMaxPixels) : max_pixels_(max_pixels) {}

  // `name` identifies the image in error messages (usually its path).
  Status Decode(const uint8_t* data, size_t size, const std::string& name,
                const DecodeTarget& target, DecodedImage& out);

 private:
  Status DecodeJpeg(const uint8_t* data, size_t size, const std::string& name,
                    const DecodeTarget& target, DecodedImage& out);
  Status DecodeOther(const uint8_t* data, size_t size, const std::string& name, DecodedImage& out);
  Status CheckPixels(int64_t w, int64_t h, const std::string& name) const;

  int64_t max_pixels_;
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> oriented_;  // upright copy, for JPEGs with an EXIF orientation
};

}  // namespace rvm
