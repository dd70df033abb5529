#include "vision/decoders.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "vision/postprocess.h"

namespace rvm {
namespace {

constexpr int kClasses = 3;

float Logit(float p) { return std::log(p / (1 - p)); }
float Atanh(float v) { return 0.5f * std::log((1 + v) / (1 - v)); }

TEST(DecodeYoloXTest, DecodesGridOffsetsAndLogSizesAtTheRightStride) {
  const int in = 64;  // grid 8x8 + 4x4 + 2x2 = 84 points
  OutputLayout layout{ModelFamily::kYoloX, kClasses, GridPointCount(in, in)};
  std::vector<float> t(layout.num_anchors * (5 + kClasses), 0.0f);
  // Stride-16 grid point (gx=2, gy=1) is index 64 + 1*4 + 2 = 70.
  float* p = &t[70 * (5 + kClasses)];
  p[0] = 0.5f;
  p[1] = 0.25f;
  p[2] = std::log(2.0f);
  p[3] = std::log(3.0f);
  p[4] = 0.9f;
  p[5 + 2] = 0.8f;
  std::vector<Detection> out;
  DecodeYoloX(t.data(), layout, in, in, 0.3f, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_id, 2);
  EXPECT_NEAR(out[0].score, 0.72f, 1e-5);
  // cx = (0.5 + 2) * 16 = 40, cy = (0.25 + 1) * 16 = 20, w = 32, h = 48.
  EXPECT_NEAR(out[0].box.x1, 24.0f, 1e-4);
  EXPECT_NEAR(out[0].box.y1, -4.0f, 1e-4);
  EXPECT_NEAR(out[0].box.x2, 56.0f, 1e-4);
  EXPECT_NEAR(out[0].box.y2, 44.0f, 1e-4);
}

TEST(DecodeYoloXTest, LowObjectnessIsDropped) {
  OutputLayout layout{ModelFamily::kYoloX, kClasses, GridPointCount(64, 64)};
  std::vector<float> t(layout.num_anchors * (5 + kClasses), 0.0f);
  t[4] = 0.2f;
  t[5] = 1.0f;
  std::vector<Detection> out;
  DecodeYoloX(t.data(), layout, 64, 64, 0.3f, out);
  EXPECT_TRUE(out.empty());
}

TEST(DecodeYoloV5Test, BoxesAreAlreadyInInputPixels) {
  OutputLayout layout{ModelFamily::kYoloV5, kClasses, 4};
  std::vector<float> t(4 * (5 + kClasses), 0.0f);
  float* p = &t[3 * (5 + kClasses)];
  p[0] = 100;
  p[1] = 50;
  p[2] = 20;
  p[3] = 10;
  p[4] = 0.8f;
  p[5 + 1] = 0.5f;
  std::vector<Detection> out;
  DecodeYoloV5(t.data(), layout, 0.3f, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_id, 1);
  EXPECT_NEAR(out[0].score, 0.4f, 1e-6);
  EXPECT_FLOAT_EQ(out[0].box.x1, 90);
  EXPECT_FLOAT_EQ(out[0].box.y2, 55);
}

TEST(DecodeYoloV8Test, FeaturesFirstLayoutWithoutObjectness) {
  const int n = 5;
  OutputLayout layout{ModelFamily::kYoloV8, kClasses, n};
  std::vector<float> t((4 + kClasses) * n, 0.0f);
  const int a = 2;
  t[0 * n + a] = 30;
  t[1 * n + a] = 40;
  t[2 * n + a] = 10;
  t[3 * n + a] = 20;
  t[(4 + 0) * n + a] = 0.4f;
  t[(4 + 2) * n + a] = 0.7f;
  t[(4 + 1) * n + 4] = 0.2f;  // below threshold elsewhere
  std::vector<float> best;
  std::vector<int> cls;
  std::vector<Detection> out;
  DecodeYoloV8(t.data(), layout, 0.3f, best, cls, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_id, 2);
  EXPECT_FLOAT_EQ(out[0].score, 0.7f);
  EXPECT_FLOAT_EQ(out[0].box.x1, 25);
  EXPECT_FLOAT_EQ(out[0].box.y1, 30);
}

TEST(DecodeFastestDetTest, DecodesTanhOffsetsAndSigmoidSizes) {
  const int gw = 4, gh = 4, in = 64;
  OutputLayout layout{ModelFamily::kFastestDet, kClasses, gw * gh, gw, gh};
  const int plane = gw * gh;
  std::vector<float> t((5 + kClasses) * plane, 0.0f);
  const int cell = 1 * gw + 3;  // gx=3, gy=1
  t[cell] = 0.9f;
  t[1 * plane + cell] = Atanh(0.5f);
  t[2 * plane + cell] = Atanh(-0.5f);
  t[3 * plane + cell] = Logit(0.25f);
  t[4 * plane + cell] = Logit(0.5f);
  t[(5 + 1) * plane + cell] = 0.6f;
  std::vector<Detection> out;
  DecodeFastestDet(t.data(), layout, in, in, 0.3f, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].class_id, 1);
  EXPECT_NEAR(out[0].score, 0.54f, 1e-5);
  // cx = (3 + 0.5) / 4 * 64 = 56, cy = (1 - 0.5) / 4 * 64 = 8, w = 16, h = 32.
  EXPECT_NEAR(out[0].box.x1, 48, 1e-3);
  EXPECT_NEAR(out[0].box.y1, -8, 1e-3);
  EXPECT_NEAR(out[0].box.x2, 64, 1e-3);
  EXPECT_NEAR(out[0].box.y2, 24, 1e-3);
}

TEST(PostprocessorTest, MapsBackToSourcePixelsAppliesNmsAndDropsPaddingBoxes) {
  const int n = 3;
  OutputLayout layout{ModelFamily::kYoloV8, kClasses, n};
  std::vector<float> t((4 + kClasses) * n, 0.0f);
  auto set = [&](int a, float cx, float cy, float w, float h, int c, float s) {
    t[0 * n + a] = cx;
    t[1 * n + a] = cy;
    t[2 * n + a] = w;
    t[3 * n + a] = h;
    t[(4 + c) * n + a] = s;
  };
  // Source 200x100 letterboxed (centered) into 100x100: scale 0.5, pad_y 25.
  set(0, 50, 50, 20, 20, 0, 0.9f);
  set(1, 51, 50, 20, 20, 0, 0.8f);  // suppressed by anchor 0
  set(2, 50, 10, 10, 10, 1, 0.9f);  // entirely inside the top padding
  ImageTransform tr = ComputeTransform(200, 100, 100, 100, ResizeMode::kLetterboxCenter);
  Postprocessor post(layout, PostprocessOptions{0.3f, 0.45f, 100});
  Detections out;
  ASSERT_TRUE(post.Run(t.data(), tr, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NEAR(out[0].box.x1, 80, 1e-3);
  EXPECT_NEAR(out[0].box.y1, 30, 1e-3);
  EXPECT_NEAR(out[0].box.x2, 120, 1e-3);
  EXPECT_NEAR(out[0].box.y2, 70, 1e-3);
}

TEST(PostprocessorTest, AScoreOutsideZeroToOneOrABoxNotFiniteIsRefusedNotReported) {
  const int n = 2;
  OutputLayout layout{ModelFamily::kYoloV8, kClasses, n};
  const ImageTransform tr = ComputeTransform(100, 100, 100, 100, ResizeMode::kLetterboxCenter);
  Postprocessor post(layout, PostprocessOptions{0.3f, 0.45f, 100});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    int cls;
    float score, cx;
    const char* expected;
  };
  // (A NaN in a later class never wins the argmax, so it cannot become a detection.)
  for (const Case& c :
       {Case{1, 15776.9f, 50, "holds a score of 15776.9 (class 1)"},
        Case{1, inf, 50, "holds a score of inf"}, Case{0, nan, 50, "holds a score of "},
        Case{1, 0.9f, nan, "holds a box that is not finite"},
        Case{1, 0.9f, inf, "holds a box that is not finite"}}) {
    std::vector<float> t((4 + kClasses) * n, 0.0f);
    t[0] = 20, t[n] = 20, t[2 * n] = 10, t[3 * n] = 10, t[4 * n] = 0.8f;  // a good detection
    t[1] = c.cx, t[n + 1] = 50, t[2 * n + 1] = 10, t[3 * n + 1] = 10;
    t[(4 + c.cls) * n + 1] = c.score;
    Detections out{Detection{0, 0.5f, Box{1, 1, 2, 2}}};
    const Status s = post.Run(t.data(), tr, out);
    ASSERT_FALSE(s.ok()) << c.expected;
    EXPECT_NE(s.message().find(c.expected), std::string::npos) << s.message();
    EXPECT_TRUE(out.empty()) << "nothing from an output that is not detections";
  }
  // A score of exactly 1 is a score.
  std::vector<float> t((4 + kClasses) * n, 0.0f);
  t[0] = 20, t[n] = 20, t[2 * n] = 10, t[3 * n] = 10, t[4 * n] = 1.0f;
  Detections out;
  ASSERT_TRUE(post.Run(t.data(), tr, out).ok());
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace rvm
