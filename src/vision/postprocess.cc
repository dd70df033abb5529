#include "vision/postprocess.h"

#include <cmath>
#include <cstdio>
#include <string>

namespace rvm {

Postprocessor::Postprocessor(const OutputLayout& layout, const PostprocessOptions& options)
    : layout_(layout), options_(options) {
  candidates_.reserve(1024);
}

namespace {

// Scores a little above 1 come from float rounding in an export's own
// arithmetic; anything more is not a probability.
constexpr float kMaxScore = 1.001f;

std::string G(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(v));
  return buf;
}

bool Finite(const Box& b) {
  return std::isfinite(b.x1) && std::isfinite(b.y1) && std::isfinite(b.x2) && std::isfinite(b.y2);
}

}  // namespace

Status Postprocessor::Run(const float* output, const ImageTransform& t, Detections& out) {
  out.clear();
  candidates_.clear();
  const float conf = options_.conf_threshold;
  switch (layout_.family) {
    case ModelFamily::kYoloX:
      DecodeYoloX(output, layout_, t.input_w, t.input_h, conf, candidates_);
      break;
    case ModelFamily::kYoloV5:
      DecodeYoloV5(output, layout_, conf, candidates_);
      break;
    case ModelFamily::kYoloV8:
      DecodeYoloV8(output, layout_, conf, best_score_, best_class_, candidates_);
      break;
    case ModelFamily::kFastestDet:
      DecodeFastestDet(output, layout_, t.input_w, t.input_h, conf, candidates_);
      break;
    case ModelFamily::kAuto:
      break;  // resolved before a Postprocessor is built
  }
  // Only candidates that passed the threshold are looked at (NaN passes the
  // decoders' `score < threshold` skips), so this costs nothing per anchor.
  for (const Detection& d : candidates_) {
    if (!(d.score <= kMaxScore)) {  // NaN fails every comparison
      return InvalidArgument("the model's output holds a score of " + G(d.score) + " (class " +
                             std::to_string(d.class_id) +
                             "): scores must be in [0, 1], so this is not a detection model's "
                             "output (is the export missing its final sigmoid?)");
    }
    if (!Finite(d.box)) {
      return InvalidArgument("the model's output holds a box that is not finite (" + G(d.box.x1) +
                             ", " + G(d.box.y1) + ", " + G(d.box.x2) + ", " + G(d.box.y2) +
                             ") at score " + G(d.score));
    }
  }
  NonMaxSuppression(candidates_, options_.iou_threshold,
                    static_cast<size_t>(options_.max_detections), nms_, out);
  for (Detection& d : out) d.box = t.ToSource(d.box);
  // A box that lay wholly in the letterbox padding clips to nothing.
  std::erase_if(out, [](const Detection& d) { return d.box.width() <= 0 || d.box.height() <= 0; });
  return Status::Ok();
}

}  // namespace rvm
