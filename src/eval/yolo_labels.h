// YoloLabels: a labelled image folder in the YOLO layout, as training tools
// write it:
//
//   DIR/classes.txt          one class name per line; line i names class id i
//                            (or DIR/../classes.txt: a split of a data set
//                            whose splits share one list)
//   DIR/images/NAME.jpg      the photos (any image extension)
//   DIR/labels/NAME.txt      one object per line: "class cx cy w h", the box's
//                            centre and size as fractions of the image's
//                            width and height; no file or an empty file = no
//                            objects
//
// Parsing is pure (ParseYoloLabels); FindYoloFolder checks the folder's shape.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "vision/detection.h"

namespace rvm::eval {

struct YoloFolder {
  std::string images_dir;
  std::string labels_dir;
  std::vector<std::string> classes;  // from classes.txt
};

// Checks that `dir` holds images/, labels/ and classes.txt and reads the
// class names. Errors name the folder and the missing part.
Result<YoloFolder> FindYoloFolder(const std::string& dir);

// labels/<stem>.txt for an image path.
std::string LabelPathFor(const YoloFolder& folder, const std::string& image_path);

struct YoloBox {
  int class_id = 0;
  double cx = 0, cy = 0, w = 0, h = 0;  // fractions of the image size

  // The box in pixels of a width x height image.
  Box ToPixels(int width, int height) const;
  // The same box on the image turned clockwise by `quarters` quarter turns
  // (any integer; negative turns anticlockwise).
  YoloBox Turned(int quarters) const;
};

// Parses a label file's text. `file` names it in errors; every malformed line
// is reported ("<file>:<line>: <what is wrong>", one per line of the message):
// wrong field count, a field that is not a number, a class id outside
// 0..num_classes-1, a centre outside [0, 1] or a size outside (0, 1].
Result<std::vector<YoloBox>> ParseYoloLabels(std::string_view text, const std::string& file,
                                             int num_classes);

}  // namespace rvm::eval
