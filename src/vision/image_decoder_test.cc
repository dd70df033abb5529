#include "vision/image_decoder.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <iostream>
#include <random>

#include <opencv2/imgproc.hpp>

#include "base/file_util.h"
#include "vision/exif.h"
#include "vision/exif_test_util.h"

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

// A photo-like JPEG (noise, so every block carries coded data) with bits
// flipped in the middle of its entropy-coded scan, as a bad SD card or a
// damaged transfer leaves it.
std::vector<uint8_t> BitFlippedJpeg() {
  cv::Mat m(240, 320, CV_8UC3);
  cv::RNG rng(42);
  rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", m, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  size_t scan = 0;  // first byte after the start-of-scan segment
  for (size_t i = 2; i + 3 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) {
      scan = i + 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
      break;
    }
  }
  const size_t mid = scan + (jpeg.size() - scan) / 2;
  for (size_t i = mid; i < mid + 8; ++i) {
    if (jpeg[i] != 0xFF && jpeg[i - 1] != 0xFF && (jpeg[i] ^ 0x5A) != 0xFF) jpeg[i] ^= 0x5A;
  }
  return jpeg;
}

TEST(ImageDecoderTest, AJpegWithFlippedBitsInItsScanIsRejectedAsCorrupt) {
  const std::vector<uint8_t> jpeg = BitFlippedJpeg();
  ImageDecoder dec;
  DecodedImage img;
  for (DecodeTarget target : {DecodeTarget{}, DecodeTarget{80, 60, true}}) {
    Status s = dec.Decode(jpeg.data(), jpeg.size(), "flip.jpg", target, img);
    ASSERT_FALSE(s.ok()) << "decoded at " << target.width << "x" << target.height;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("image 'flip.jpg': corrupt JPEG data (Corrupt JPEG data"),
              std::string::npos)
        << s.message();
  }
  // The decoder is still good for the next, intact image.
  const auto intact = Encode(".jpg", 64, 48);
  EXPECT_TRUE(dec.Decode(intact.data(), intact.size(), "ok.jpg", {}, img).ok());
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

// Every corner a different colour, so each turn and mirror is told apart.
std::vector<uint8_t> AsymmetricJpeg(int w, int h) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(40, 40, 40));
  m(cv::Rect(0, 0, w / 2, h / 3)).setTo(cv::Scalar(0, 0, 255));
  m(cv::Rect(w / 2, 0, w - w / 2, h / 3)).setTo(cv::Scalar(0, 255, 0));
  m(cv::Rect(0, h - h / 3, w / 3, h / 3)).setTo(cv::Scalar(255, 0, 0));
  std::vector<uint8_t> buf;
  cv::imencode(".jpg", m, buf, {cv::IMWRITE_JPEG_QUALITY, 95});
  return buf;
}

TEST(ImageDecoderTest, EveryExifOrientationComesOutUprightAsOpenCvShowsIt) {
  const auto plain = AsymmetricJpeg(96, 64);
  for (bool big_endian : {false, true}) {
    for (int o = 1; o <= 8; ++o) {
      SCOPED_TRACE("orientation " + std::to_string(o) + (big_endian ? " MM" : " II"));
      const auto jpeg = testing::WithExifOrientation(plain, o, big_endian);
      ImageDecoder dec;
      DecodedImage img;
      ASSERT_TRUE(dec.Decode(jpeg.data(), jpeg.size(), "turned", {}, img).ok());
      const cv::Mat ref = cv::imdecode(jpeg, cv::IMREAD_COLOR);
      ASSERT_EQ(img.bgr.size(), ref.size());
      EXPECT_EQ(img.original_width, ref.cols);
      EXPECT_EQ(img.original_height, ref.rows);
      EXPECT_EQ(img.bgr.cols, OrientationSwapsAxes(o) ? 64 : 96);
      EXPECT_LE(cv::norm(ref, img.bgr, cv::NORM_INF), 3.0);
    }
  }
}

TEST(ImageDecoderTest, ATurnedJpegIsScaledToCoverTheUprightTarget) {
  // Stored 1600x800, shown 800x1600. For a 640x320 letterbox the upright
  // image needs 0.2 of its size: 2/8 (the stored sizes would have asked 4/8).
  const auto jpeg = testing::WithExifOrientation(AsymmetricJpeg(1600, 800), 6, false);
  ImageDecoder dec;
  DecodedImage img;
  ASSERT_TRUE(dec.Decode(jpeg.data(), jpeg.size(), "turned", {640, 320, true}, img).ok());
  EXPECT_FLOAT_EQ(img.scale, 2 / 8.0f);
  EXPECT_EQ(img.original_width, 800);
  EXPECT_EQ(img.original_height, 1600);
  EXPECT_EQ(img.bgr.cols, 200);
  EXPECT_EQ(img.bgr.rows, 400);
  cv::Mat ref;
  cv::resize(cv::imdecode(jpeg, cv::IMREAD_COLOR), ref, img.bgr.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(cv::norm(ref, img.bgr, cv::NORM_L1) / ref.total() / 3, 4.0) << "same picture, upright";
}

TEST(ExifOrientationTest, MalformedOrAbsentTagsMeanAsStored) {
  auto orientation = [](std::vector<uint8_t> app1) {
    return ExifOrientation(app1.data(), app1.size());
  };
  const auto good = testing::WithExifOrientation(AsymmetricJpeg(16, 16), 6, true);
  const std::vector<uint8_t> app1(good.begin() + 6,
                                  good.begin() + 6 + (good[4] << 8) + good[5] - 2);
  ASSERT_EQ(orientation(app1), 6);
  EXPECT_EQ(orientation({}), 1);
  EXPECT_EQ(orientation({'h', 't', 't', 'p', ':', '/', '/', 'n', 's', '.', 'a', 'd', 'o', 'b'}), 1)
      << "an XMP segment";
  // Cut anywhere before the end of the IFD's entries (offset 40).
  for (size_t cut = 0; cut < 40; ++cut) {
    EXPECT_EQ(orientation(std::vector<uint8_t>(app1.begin(), app1.begin() + cut)), 1) << cut;
  }
  auto with = [&](size_t at, uint8_t value) {
    auto bad = app1;
    bad[at] = value;
    return orientation(bad);
  };
  // Offsets into the segment: 6 "Exif\0\0", TIFF header at 6, IFD0 at 14,
  // its second entry (the orientation) at 28: tag, type at 30, count at 32, value at 36.
  EXPECT_EQ(with(6, 'X'), 1) << "unknown byte order";
  EXPECT_EQ(with(9, 43), 1) << "not TIFF";
  EXPECT_EQ(with(13, 200), 1) << "IFD0 past the end";
  EXPECT_EQ(with(15, 200), 1) << "more entries than the segment holds";
  EXPECT_EQ(with(31, 4), 1) << "orientation not a SHORT";
  EXPECT_EQ(with(35, 2), 1) << "orientation with two values";
  EXPECT_EQ(with(37, 9), 1) << "orientation out of range";
  EXPECT_EQ(with(37, 0), 1) << "orientation out of range";
  EXPECT_EQ(with(37, 8), 8);
}

TEST(ExifOrientationTest, MangledSegmentsGiveAnOrientationAndStayInBounds) {
  // Run under AddressSanitizer, a read past the segment would abort.
  const auto good = testing::WithExifOrientation(AsymmetricJpeg(16, 16), 3, false);
  const std::vector<uint8_t> app1(good.begin() + 6,
                                  good.begin() + 6 + (good[4] << 8) + good[5] - 2);
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bad(app1.begin(), app1.begin() + 7 + rng() % (app1.size() - 6));
    for (int flips = 1 + rng() % 4; flips > 0; --flips) {
      bad[6 + rng() % (bad.size() - 6)] = static_cast<uint8_t>(rng());
    }
    // An exact-size copy, so any overrun leaves the allocation.
    auto* exact = new uint8_t[bad.size()];
    std::copy(bad.begin(), bad.end(), exact);
    const int o = ExifOrientation(exact, bad.size());
    delete[] exact;
    ASSERT_GE(o, 1);
    ASSERT_LE(o, 8);
  }
}

TEST(ImageDecoderTest, AJpegWithGarbageInItsExifDecodesAsStored) {
  const auto plain = AsymmetricJpeg(96, 64);
  std::vector<uint8_t> jpeg(plain.begin(), plain.begin() + 2);
  const std::vector<uint8_t> segment = {0xFF, 0xE1, 0x00, 0x0C, 'E', 'x',  'i',
                                        'f',  0,    0,    'M',  'M', 0xFF, 0xFF};
  jpeg.insert(jpeg.end(), segment.begin(), segment.end());
  jpeg.insert(jpeg.end(), plain.begin() + 2, plain.end());
  ImageDecoder dec;
  DecodedImage img;
  ASSERT_TRUE(dec.Decode(jpeg.data(), jpeg.size(), "garbage exif", {}, img).ok());
  EXPECT_EQ(img.bgr.cols, 96);
  EXPECT_EQ(img.bgr.rows, 64);
}

}  // namespace
}  // namespace rvm
