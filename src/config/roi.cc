#include "config/roi.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace rvm {
namespace {

std::string Num(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ec == std::errc() ? end : buf);
}

}  // namespace

std::string RoiProblem(const Roi& r) {
  const double v[4] = {r.x0, r.y0, r.x1, r.y1};
  const char* names[4] = {"x0", "y0", "x1", "y1"};
  for (int i = 0; i < 4; ++i) {
    if (!(v[i] >= 0 && v[i] <= 1)) {
      return std::string(names[i]) + " must be a fraction of the frame in [0, 1]";
    }
  }
  if (!(r.x0 < r.x1)) return "x0 must be less than x1";
  if (!(r.y0 < r.y1)) return "y0 must be less than y1";
  return "";
}

std::string RoiText(const Roi& r) {
  return "[" + Num(r.x0) + ", " + Num(r.y0) + ", " + Num(r.x1) + ", " + Num(r.y1) + "]";
}

Result<Roi> ParseRoi(std::string_view text, std::string_view what) {
  std::vector<double> v;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view field = text.substr(start, comma - start);
    while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
    while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
    double d = 0;
    auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), d);
    if (field.empty() || ec != std::errc() || ptr != field.data() + field.size()) {
      return InvalidArgument(std::string(what) + " '" + std::string(text) +
                             "': expected four fractions x0,y0,x1,y1");
    }
    v.push_back(d);
    start = comma + 1;
  }
  if (v.size() != 4) {
    return InvalidArgument(std::string(what) + " '" + std::string(text) +
                           "': expected four fractions x0,y0,x1,y1");
  }
  const Roi roi{v[0], v[1], v[2], v[3]};
  if (std::string p = RoiProblem(roi); !p.empty()) {
    return InvalidArgument(std::string(what) + " '" + std::string(text) + "': " + p);
  }
  return roi;
}

PixelRect RoiPixels(const Roi& r, int width, int height) {
  if (width <= 0 || height <= 0) return {};
  const int x0 = std::clamp(static_cast<int>(std::floor(r.x0 * width)), 0, width - 1);
  const int y0 = std::clamp(static_cast<int>(std::floor(r.y0 * height)), 0, height - 1);
  const int x1 = std::clamp(static_cast<int>(std::ceil(r.x1 * width)), x0 + 1, width);
  const int y1 = std::clamp(static_cast<int>(std::ceil(r.y1 * height)), y0 + 1, height);
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace rvm
