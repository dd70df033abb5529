// Draws detections (box, label, score) onto a BGR image, for `detect
// --annotate`, snapshots and evidence images.
#pragma once

#include <opencv2/core.hpp>

#include <string>
#include <vector>

#include "vision/detection.h"

namespace rvm {

void DrawDetections(cv::Mat& bgr, const Detections& detections,
                    const std::vector<std::string>& labels);

}  // namespace rvm
