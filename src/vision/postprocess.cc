#include "vision/postprocess.h"

namespace rvm {

Postprocessor::Postprocessor(const OutputLayout& layout, const PostprocessOptions& options)
    : layout_(layout), options_(options) {
  candidates_.reserve(1024);
}

void Postprocessor::Run(const float* output, const ImageTransform& t, Detections& out) {
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
  NonMaxSuppression(candidates_, options_.iou_threshold,
                    static_cast<size_t>(options_.max_detections), nms_, out);
  for (Detection& d : out) d.box = t.ToSource(d.box);
  // A box that lay wholly in the letterbox padding clips to nothing.
  std::erase_if(out, [](const Detection& d) { return d.box.width() <= 0 || d.box.height() <= 0; });
}

}  // namespace rvm
