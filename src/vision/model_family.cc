#include "vision/model_family.h"

#include <algorithm>
#include <cctype>

namespace rvm {

const char* ModelFamilyName(ModelFamily family) {
  switch (family) {
    case ModelFamily::kAuto:
      return "auto";
    case ModelFamily::kYoloX:
      return "yolox";
    case ModelFamily::kYoloV5:
      return "yolov5";
    case ModelFamily::kYoloV8:
      return "yolov8";
    case ModelFamily::kFastestDet:
      return "fastestdet";
  }
  return "unknown";
}

Result<ModelFamily> ParseModelFamily(const std::string& raw) {
  std::string name = raw;
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (name == "auto") return ModelFamily::kAuto;
  if (name == "yolox") return ModelFamily::kYoloX;
  if (name == "yolov5" || name == "yolov7") return ModelFamily::kYoloV5;
  if (name == "yolov8" || name == "yolo11" || name == "yolov11") return ModelFamily::kYoloV8;
  if (name == "fastestdet") return ModelFamily::kFastestDet;
  return InvalidArgument("model family '" + raw +
                         "' is not one of auto, yolox, yolov5, yolov7, yolov8, yolo11, fastestdet");
}

InputSpec InputSpecFor(ModelFamily family, int input_w, int input_h) {
  InputSpec spec;
  spec.width = input_w;
  spec.height = input_h;
  switch (family) {
    case ModelFamily::kYoloX:
      spec.resize = ResizeMode::kLetterboxTopLeft;
      spec.rgb = false;
      spec.scale = 1.0f;
      break;
    case ModelFamily::kFastestDet:
      spec.resize = ResizeMode::kStretch;
      spec.rgb = false;
      spec.scale = 1.0f / 255;
      break;
    case ModelFamily::kYoloV5:
    case ModelFamily::kYoloV8:
    case ModelFamily::kAuto:
      spec.resize = ResizeMode::kLetterboxCenter;
      spec.rgb = true;
      spec.scale = 1.0f / 255;
      break;
  }
  return spec;
}

int GridPointCount(int input_w, int input_h) {
  int n = 0;
  for (int s : {8, 16, 32}) n += (input_w / s) * (input_h / s);
  return n;
}

std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

namespace {

// The hint to name the family is given only where it can help: the family
// was guessed (auto) from an output of a rank some family has (3-D or 4-D).
Status NoFamily(const std::vector<int64_t>& shape, const std::string& why, ModelFamily requested) {
  const bool guessed = requested == ModelFamily::kAuto && (shape.size() == 3 || shape.size() == 4);
  return Unsupported("output shape " + ShapeToString(shape) +
                     " matches no known detector family (yolox, yolov5/v7, yolov8/yolo11, "
                     "fastestdet): " +
                     why +
                     (guessed ? "; set the family explicitly if the model is one of them" : ""));
}

Status CheckClasses(int shape_classes, int known_classes, const std::vector<int64_t>& shape,
                    ModelFamily requested) {
  if (shape_classes <= 0) return NoFamily(shape, "no room for class scores", requested);
  if (known_classes > 0 && known_classes != shape_classes) {
    return InvalidArgument("the model's output " + ShapeToString(shape) + " has " +
                           std::to_string(shape_classes) + " classes but the label list has " +
                           std::to_string(known_classes));
  }
  return Status::Ok();
}

}  // namespace

Result<OutputLayout> ResolveOutputLayout(const std::vector<int64_t>& shape, int input_w,
                                         int input_h, ModelFamily requested, int known_classes) {
  for (size_t i = 1; i < shape.size(); ++i) {
    if (shape[i] <= 0)
      return NoFamily(shape, "dimension " + std::to_string(i) + " is not fixed", requested);
  }
  OutputLayout layout;
  if (shape.size() == 4) {
    if (requested != ModelFamily::kAuto && requested != ModelFamily::kFastestDet) {
      return NoFamily(shape, std::string("a 4-D output cannot be ") + ModelFamilyName(requested),
                      requested);
    }
    layout.family = ModelFamily::kFastestDet;
    layout.num_classes = static_cast<int>(shape[1]) - 5;
    layout.grid_h = static_cast<int>(shape[2]);
    layout.grid_w = static_cast<int>(shape[3]);
    layout.num_anchors = layout.grid_h * layout.grid_w;
    RVM_RETURN_IF_ERROR(CheckClasses(layout.num_classes, known_classes, shape, requested));
    return layout;
  }
  if (shape.size() != 3) return NoFamily(shape, "expected a 3-D or 4-D output", requested);
  const int a = static_cast<int>(shape[1]);
  const int b = static_cast<int>(shape[2]);
  const int grid_points = GridPointCount(input_w, input_h);

  ModelFamily family = requested;
  if (family == ModelFamily::kAuto) {
    if (a < b) {
      family = ModelFamily::kYoloV8;  // [1, 4+C, N]: features first
    } else if (a == grid_points) {
      family = ModelFamily::kYoloX;  // one prediction per grid point
    } else if (a == 3 * grid_points) {
      family = ModelFamily::kYoloV5;  // three anchors per grid point
    } else {
      return NoFamily(shape,
                      std::to_string(a) + " predictions fit neither " +
                          std::to_string(grid_points) + " grid points (anchor-free) nor " +
                          std::to_string(3 * grid_points) + " (three anchors each)",
                      requested);
    }
  }
  layout.family = family;
  switch (family) {
    case ModelFamily::kYoloX:
      if (a != grid_points) {
        return NoFamily(shape,
                        "YOLOX needs " + std::to_string(grid_points) + " predictions for a " +
                            std::to_string(input_w) + "x" + std::to_string(input_h) + " input",
                        requested);
      }
      [[fallthrough]];
    case ModelFamily::kYoloV5:
      layout.num_anchors = a;
      layout.num_classes = b - 5;
      break;
    case ModelFamily::kYoloV8:
      if (a < b) {
        layout.num_anchors = b;
        layout.num_classes = a - 4;
      } else {
        return NoFamily(shape, "YOLOv8/YOLO11 outputs are [1, 4+C, N] with N > 4+C", requested);
      }
      break;
    default:
      return NoFamily(shape, "a 3-D output cannot be fastestdet", requested);
  }
  RVM_RETURN_IF_ERROR(CheckClasses(layout.num_classes, known_classes, shape, requested));
  return layout;
}

}  // namespace rvm
