#include "vision/annotate.h"

#include <opencv2/imgproc.hpp>

#include <cstdio>

#include "vision/labels.h"

namespace rvm {

void DrawDetections(cv::Mat& bgr, const Detections& detections,
                    const std::vector<std::string>& labels) {
  const int thickness = std::max(1, std::min(bgr.cols, bgr.rows) / 300);
  for (const Detection& d : detections) {
    // A stable colour per class.
    const cv::Scalar color((d.class_id * 67 + 40) % 256, (d.class_id * 139 + 90) % 256,
                           (d.class_id * 211 + 160) % 256);
    const cv::Point p1(static_cast<int>(d.box.x1), static_cast<int>(d.box.y1));
    const cv::Point p2(static_cast<int>(d.box.x2), static_cast<int>(d.box.y2));
    cv::rectangle(bgr, p1, p2, color, thickness);
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", d.score);
    const std::string text = LabelFor(labels, d.class_id) + score;
    int baseline = 0;
    const double font_scale = 0.5;
    const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, 1, &baseline);
    const int top = std::max(0, p1.y - size.height - baseline - 2);
    cv::rectangle(bgr, cv::Point(p1.x, top),
                  cv::Point(p1.x + size.width + 2, top + size.height + baseline + 2), color,
                  cv::FILLED);
    cv::putText(bgr, text, cv::Point(p1.x + 1, top + size.height + 1), cv::FONT_HERSHEY_SIMPLEX,
                font_scale, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
  }
}

}  // namespace rvm
