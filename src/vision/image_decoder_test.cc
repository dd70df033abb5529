#include "vision/image_decoder.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <iostream>

#include "base/file_util.h"

namespace rvm {
namespace {

std::string Shared(const std::string& rel) { return std::string(RVM_SHARED_DIR) + "/" + rel; }

std::vector<uint8_t> Encode(const std::string& ext, int w, int h) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(10, 120, 230));
  std::vector<uint8_t> buf;
  cv::imencode(ext, m, buf);
  return buf;
}

TEST(ImageDecoderTest, DecodesAJpegAtFullSize) {
  auto bytes = ReadFileBytes(Shared("images/misc/nanodet_dog.jpg"));
  ASSERT_TRUE(bytes.ok());
  ImageDecoder dec;
  DecodedImage img;
  ASSERT_TRUE(dec.Decode(bytes->data(), bytes->size(), "dog", {}, img).ok());
  EXPECT_EQ(img.bgr.cols, 768);
  EXPECT_EQ(img.bgr.rows, 576);
  EXPECT_EQ(img.scale, 1.0f);
  // Same pixels as OpenCV's decoder, up to IDCT rounding.
  cv::Mat ref = cv::imread(Shared("images/misc/nanodet_dog.jpg"));
  EXPECT_LE(cv::norm(ref, img.bgr, cv::NORM_INF), 3.0);
}

TEST(ImageDecoderTest, LargeJpegIsDecodedAtTheSmallestScaleCoveringTheTarget) {
  auto bytes = ReadFileBytes(Shared("images/misc/nanodet_bus.jpg"));  // 810x1080
  ASSERT_TRUE(bytes.ok());
  ImageDecoder dec;
  DecodedImage img;
  ASSERT_TRUE(dec.Decode(bytes->data(), bytes->size(), "bus", {416, 416, true}, img).ok());
  EXPECT_EQ(img.original_width, 810);
  EXPECT_EQ(img.original_height, 1080);
  EXPECT_FLOAT_EQ(img.scale, 4 / 8.0f);  // 416/1080 = 0.385 -> 4/8
  EXPECT_EQ(img.bgr.rows, 540);
  EXPECT_GE(img.bgr.rows, 416);
}

TEST(ImageDecoderTest, EmptyInputIsRejected) {
  ImageDecoder dec;
  DecodedImage img;
  uint8_t none = 0;
  Status s = dec.Decode(&none, 0, "empty.jpg", {}, img);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'empty.jpg': file is empty"), std::string::npos);
}

TEST(ImageDecoderTest, TruncatedJpegIsRejected) {
  auto bytes = ReadFileBytes(Shared("images/misc/nanodet_dog.jpg"));
  ASSERT_TRUE(bytes.ok());
  ImageDecoder dec;
  DecodedImage img;
  Status s = dec.Decode(bytes->data(), bytes->size() / 2, "half.jpg", {}, img);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("truncated"), std::string::npos) << s.message();
}

TEST(ImageDecoderTest, NonImageBytesAreRejected) {
  const std::string text = "this is not an image at all, just text";
  ImageDecoder dec;
  DecodedImage img;
  Status s =
      dec.Decode(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "notes.txt", {}, img);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not a readable image"), std::string::npos);
}

TEST(ImageDecoderTest, PixelLimitIsEnforcedForJpegAndPng) {
  ImageDecoder dec(/*max_pixels=*/100 * 100);
  DecodedImage img;
  auto jpg = Encode(".jpg", 200, 100);
  Status s = dec.Decode(jpg.data(), jpg.size(), "big.jpg", {}, img);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("20000 pixels"), std::string::npos);
  auto png = Encode(".png", 200, 100);
  EXPECT_EQ(dec.Decode(png.data(), png.size(), "big.png", {}, img).code(),
            StatusCode::kResourceExhausted);
  auto small = Encode(".png", 50, 40);
  ASSERT_TRUE(dec.Decode(small.data(), small.size(), "ok.png", {}, img).ok());
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 120, 230));
}

}  // namespace
}  // namespace rvm
