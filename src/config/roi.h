// Roi: the region of the camera frame the machine looks at.
//
// A machine's camera sees its chute through a fixed window; what lies outside
// (the machine's frame, the room, passers-by) is noise to the detector and
// the motion gate. The region is given in fractions of the frame, so it
// survives a change of camera resolution: [x0, y0, x1, y1] with
// 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, (0, 0) the top-left corner. The
// default is the whole frame. Frames are cropped to it before letterboxing,
// which gives the model more pixels of the item; boxes are reported in
// full-frame pixels.
//
// Plain value and pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace rvm {

struct Roi {
  double x0 = 0, y0 = 0, x1 = 1, y1 = 1;  // fractions of the frame's width and height

  bool whole_frame() const { return x0 <= 0 && y0 <= 0 && x1 >= 1 && y1 >= 1; }
  bool operator==(const Roi&) const = default;
};

// "" when `roi` is valid, else what is wrong with it, as a phrase
// ("x0 must be less than x1"). The one home of the rule: the configuration
// check and ParseRoi both use it.
std::string RoiProblem(const Roi& roi);

// "[0.1, 0.2, 0.9, 1]", as the configuration writes it.
std::string RoiText(const Roi& roi);

// Parses "x0,y0,x1,y1" (a command-line flag) and checks it; errors name `what`.
Result<Roi> ParseRoi(std::string_view text, std::string_view what);

// The region's pixels in a width x height frame, whole pixels covering the
// fractions (rounded outward), never empty when the frame is not.
struct PixelRect {
  int x = 0, y = 0, width = 0, height = 0;
};
PixelRect RoiPixels(const Roi& roi, int width, int height);

}  // namespace rvm
