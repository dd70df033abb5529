// The EXIF orientation tag of a JPEG: how the stored pixels must be turned to
// stand upright as viewers (and OpenCV's imread) show them. Cameras, phones
// among them, store the sensor's rows as they came and record the turn here.
#pragma once

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>

namespace rvm {

// Orientation 1..8 from the payload of a JPEG APP1 segment ("Exif\0\0" and a
// TIFF header); 1 (as stored) when the segment is not EXIF, has no
// orientation tag, or is malformed.
int ExifOrientation(const uint8_t* app1, size_t size);

// Whether orientation `o` swaps width and height (5..8: a quarter turn).
inline bool OrientationSwapsAxes(int o) { return o >= 5 && o <= 8; }

// Turns `src` upright into `dst` (which must not share src's pixels). `dst`
// is reused when it already has the upright size and type.
void ApplyOrientation(const cv::Mat& src, int orientation, cv::Mat& dst);

}  // namespace rvm
