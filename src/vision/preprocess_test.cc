#include "vision/preprocess.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <vector>

namespace rvm {
namespace {

cv::Mat RandomImage(int w, int h, int seed) {
  cv::Mat m(h, w, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  cv::GaussianBlur(m, m, cv::Size(5, 5), 0);  // natural images are smooth-ish
  return m;
}

// Reference: OpenCV resize + letterbox canvas + layout conversion.
std::vector<float> Reference(const cv::Mat& src, const InputSpec& spec) {
  ImageTransform t = ComputeTransform(src.cols, src.rows, spec.width, spec.height, spec.resize);
  cv::Mat canvas(spec.height, spec.width, CV_8UC3, cv::Scalar::all(spec.pad_value));
  cv::Mat resized;
  cv::resize(src, resized, cv::Size(t.resized_w, t.resized_h), 0, 0, cv::INTER_LINEAR);
  resized.copyTo(canvas(cv::Rect(t.pad_x, t.pad_y, t.resized_w, t.resized_h)));
  std::vector<float> out(3 * spec.width * spec.height);
  const size_t plane = spec.width * spec.height;
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      const cv::Vec3b px = canvas.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) {
        const int dst_c = spec.rgb ? 2 - c : c;
        out[dst_c * plane + y * spec.width + x] = px[c] * spec.scale;
      }
    }
  }
  return out;
}

void ExpectMatchesReference(const cv::Mat& src, const InputSpec& spec) {
  Preprocessor pre(spec);
  std::vector<float> tensor(pre.tensor_size(), -1.0f);
  pre.Run(src, tensor.data());
  std::vector<float> ref = Reference(src, spec);
  double max_diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(tensor[i] - ref[i])));
  }
  // OpenCV rounds to 8 bits with fixed-point weights; we keep floats.
  EXPECT_LE(max_diff, 1.01 * spec.scale)
      << src.cols << "x" << src.rows << " -> " << ResizeModeName(spec.resize);
}

TEST(PreprocessorTest, MatchesOpenCvLetterboxTopLeftBgrRaw) {
  ExpectMatchesReference(RandomImage(768, 576, 1), InputSpecFor(ModelFamily::kYoloX, 416, 416));
}

TEST(PreprocessorTest, MatchesOpenCvLetterboxCenterRgbNormalised) {
  ExpectMatchesReference(RandomImage(300, 500, 2), InputSpecFor(ModelFamily::kYoloV8, 320, 320));
}

TEST(PreprocessorTest, MatchesOpenCvStretchWhenUpscaling) {
  ExpectMatchesReference(RandomImage(177, 150, 3),
                         InputSpecFor(ModelFamily::kFastestDet, 352, 352));
}

TEST(PreprocessorTest, ReusesTablesAcrossImagesOfDifferentSizes) {
  InputSpec spec = InputSpecFor(ModelFamily::kYoloX, 128, 128);
  Preprocessor pre(spec);
  std::vector<float> tensor(pre.tensor_size());
  cv::Mat a = RandomImage(200, 100, 4), b = RandomImage(90, 160, 5);
  pre.Run(a, tensor.data());
  ImageTransform t = pre.Run(b, tensor.data());
  EXPECT_EQ(t.source_w, 90);
  std::vector<float> ref = Reference(b, spec);
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(tensor[i], ref[i], 1.01f) << i;
}

TEST(PreprocessorTest, PaddingCarriesThePadValueInEveryChannel) {
  InputSpec spec = InputSpecFor(ModelFamily::kYoloX, 64, 64);
  Preprocessor pre(spec);
  std::vector<float> tensor(pre.tensor_size(), 0.0f);
  cv::Mat wide(10, 40, CV_8UC3, cv::Scalar(1, 2, 3));
  ImageTransform t = pre.Run(wide, tensor.data());
  EXPECT_EQ(t.resized_h, 16);
  const size_t plane = 64 * 64;
  EXPECT_FLOAT_EQ(tensor[0], 1.0f);                  // B plane, image area
  EXPECT_FLOAT_EQ(tensor[2 * plane], 3.0f);          // R plane, image area
  EXPECT_FLOAT_EQ(tensor[63 * 64 + 5], 114.0f);      // bottom padding
  EXPECT_FLOAT_EQ(tensor[plane + 40 * 64], 114.0f);  // G plane padding
}

}  // namespace
}  // namespace rvm
