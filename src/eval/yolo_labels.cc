#include "eval/yolo_labels.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "base/file_util.h"
#include "vision/labels.h"

namespace rvm::eval {
namespace {

namespace fs = std::filesystem;

// Rounding in label exporters leaves values a hair outside [0, 1].
constexpr double kSlack = 1e-3;

bool ParseNumber(const std::string& field, double& out) {
  const char* end = field.data() + field.size();
  auto [ptr, ec] = std::from_chars(field.data(), end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

}  // namespace

Result<YoloFolder> FindYoloFolder(const std::string& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return NotFound("folder '" + dir + "' does not exist");
  if (!fs::is_directory(dir, ec)) {
    return InvalidArgument("'" + dir + "' is not a folder (expected a folder holding images/ " +
                           "and labels/)");
  }
  YoloFolder f;
  f.images_dir = (fs::path(dir) / "images").string();
  f.labels_dir = (fs::path(dir) / "labels").string();
  std::string classes = (fs::path(dir) / "classes.txt").string();
  if (!fs::is_regular_file(classes, ec)) {
    // A split (train/, val/) of a data set whose classes.txt sits beside the
    // splits. "val/", "." and "val/.." name their folder too: normalised, with
    // the trailing separator dropped, their parent is the folder above.
    fs::path folder = fs::absolute(fs::path(dir), ec).lexically_normal();
    if (!folder.has_filename()) folder = folder.parent_path();
    const std::string shared_list = (folder.parent_path() / "classes.txt").string();
    if (fs::is_regular_file(shared_list, ec)) classes = shared_list;
  }
  if (!fs::is_directory(f.images_dir, ec)) {
    return NotFound("folder '" + dir + "' has no images/ folder (expected images/ and labels/ " +
                    "side by side, with classes.txt)");
  }
  if (!fs::is_directory(f.labels_dir, ec)) {
    return NotFound("folder '" + dir + "' has no labels/ folder (expected YOLO labels " +
                    "labels/<image name>.txt beside images/)");
  }
  if (!fs::is_regular_file(classes, ec)) {
    return NotFound("folder '" + dir + "' has no classes.txt, nor has its parent (one class " +
                    "name per line, line i naming class id i)");
  }
  auto names = LoadLabelsFile(classes);
  if (!names.ok()) return names.status();
  f.classes = std::move(names).value();
  return f;
}

std::string LabelPathFor(const YoloFolder& folder, const std::string& image_path) {
  return (fs::path(folder.labels_dir) / fs::path(image_path).stem()).string() + ".txt";
}

Box YoloBox::ToPixels(int width, int height) const {
  const double W = width, H = height;
  return Box{static_cast<float>((cx - w / 2) * W), static_cast<float>((cy - h / 2) * H),
             static_cast<float>((cx + w / 2) * W), static_cast<float>((cy + h / 2) * H)};
}

YoloBox YoloBox::Turned(int quarters) const {
  YoloBox b = *this;
  for (int q = ((quarters % 4) + 4) % 4; q > 0; --q) {
    // Clockwise: the left edge becomes the top, the top edge the right.
    b = YoloBox{b.class_id, 1.0 - b.cy, b.cx, b.h, b.w};
  }
  return b;
}

Result<std::vector<YoloBox>> ParseYoloLabels(std::string_view text, const std::string& file,
                                             int num_classes) {
  std::vector<YoloBox> boxes;
  std::string problems;
  auto problem = [&](int line, const std::string& what) {
    if (!problems.empty()) problems += "\n";
    problems += file + ":" + std::to_string(line) + ": " + what;
  };
  std::istringstream in{std::string(WithoutUtf8Bom(text))};
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string s; fields >> s;) f.push_back(s);
    if (f.empty()) continue;
    if (f.size() != 5) {
      problem(number, "expected 5 fields 'class cx cy w h', found " + std::to_string(f.size()));
      continue;
    }
    double v[5];
    bool numbers = true;
    for (int i = 0; i < 5; ++i) {
      if (!ParseNumber(f[static_cast<size_t>(i)], v[i])) {
        problem(number, "field " + std::to_string(i + 1) + " '" + f[static_cast<size_t>(i)] +
                            "' is not a number");
        numbers = false;
        break;
      }
    }
    if (!numbers) continue;
    if (v[0] != std::floor(v[0]) || v[0] < 0 || v[0] >= num_classes) {
      problem(number, "class id '" + f[0] + "' is not one of 0.." +
                          std::to_string(num_classes - 1) + " (classes.txt)");
      continue;
    }
    if (v[1] < -kSlack || v[1] > 1 + kSlack || v[2] < -kSlack || v[2] > 1 + kSlack) {
      problem(number, "box centre (" + f[1] + ", " + f[2] +
                          ") is outside [0, 1]: labels must be fractions of the image size");
      continue;
    }
    if (v[3] <= 0 || v[3] > 1 + kSlack || v[4] <= 0 || v[4] > 1 + kSlack) {
      problem(number, "box size " + f[3] + " x " + f[4] +
                          " is outside (0, 1]: labels must be fractions of the image size");
      continue;
    }
    boxes.push_back(YoloBox{static_cast<int>(v[0]), v[1], v[2], v[3], v[4]});
  }
  if (!problems.empty()) return InvalidArgument(problems);
  return boxes;
}

}  // namespace rvm::eval
