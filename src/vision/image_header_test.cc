#include "vision/image_header.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <string>
#include <vector>

#include "vision/image_decoder.h"

namespace rvm {
namespace {

std::vector<uint8_t> Encode(const std::string& ext, int w, int h, int channels = 3,
                            const std::vector<int>& params = {}) {
  cv::Mat m(h, w, channels == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar(10, 120, 230));
  std::vector<uint8_t> buf;
  EXPECT_TRUE(cv::imencode(ext, m, buf, params)) << ext;
  return buf;
}

TEST(ImageHeaderTest, ReadsTheSizeOfEachFormatOpenCvWrites) {
  struct Case {
    std::string ext;
    int channels;
    std::vector<int> params;
  };
  const std::vector<Case> cases = {
      {".png", 3, {}},
      {".bmp", 3, {}},
      {".webp", 3, {cv::IMWRITE_WEBP_QUALITY, 80}},   // lossy
      {".webp", 3, {cv::IMWRITE_WEBP_QUALITY, 101}},  // lossless
      {".tiff", 3, {}},
      {".ppm", 3, {}},
      {".pgm", 1, {}},
      {".pbm", 1, {}},
  };
  for (const Case& c : cases) {
    for (auto [w, h] : {std::pair{37, 21}, std::pair{640, 480}, std::pair{1, 1}}) {
      SCOPED_TRACE(c.ext + " " + std::to_string(w) + "x" + std::to_string(h));
      const auto bytes = Encode(c.ext, w, h, c.channels, c.params);
      const auto size = ReadHeaderSize(bytes.data(), bytes.size());
      ASSERT_TRUE(size.has_value());
      EXPECT_EQ(size->width, w);
      EXPECT_EQ(size->height, h);
    }
  }
}

TEST(ImageHeaderTest, PnmCommentsAndOtherFormatsAndShortHeaders) {
  const std::string pgm = "P5\n# a comment 99 99\n  12 # another\n34\n255\n";
  auto size = ReadHeaderSize(reinterpret_cast<const uint8_t*>(pgm.data()), pgm.size());
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 12);
  EXPECT_EQ(size->height, 34);
  const auto jpeg = Encode(".jpg", 16, 16);
  EXPECT_FALSE(ReadHeaderSize(jpeg.data(), jpeg.size())) << "JPEG has its own path";
  for (const std::string ext : {".png", ".bmp", ".webp", ".tiff"}) {
    const auto bytes = Encode(ext, 16, 16);
    for (size_t cut = 0; cut < 8; ++cut) {
      EXPECT_FALSE(ReadHeaderSize(bytes.data(), cut)) << ext << " cut at " << cut;
    }
  }
  const std::string text = "P7 not a pnm";
  EXPECT_FALSE(ReadHeaderSize(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// Little-endian TIFF header and one IFD at 8 with two entries: width (SHORT
// 300) and length (LONG 70000); no pixels.
std::vector<uint8_t> IfdOnlyTiff() {
  return {'I', 'I', 42, 0, 8, 0, 0, 0,                       // header, IFD at 8
          2,   0,                                            // two entries
          0,   1,   3,  0, 1, 0, 0, 0, 0x2C, 0x01, 0,    0,  // 256 SHORT x1 = 300
          1,   1,   4,  0, 1, 0, 0, 0, 0x70, 0x11, 0x01, 0,  // 257 LONG x1 = 70000
          0,   0,   0,  0};                                  // no next IFD
}

TEST(ImageHeaderTest, TiffTagsAndMalformedIfds) {
  const std::vector<uint8_t> tiff = IfdOnlyTiff();
  EXPECT_EQ(TiffTag(tiff.data(), tiff.size(), 256), 300u);
  EXPECT_EQ(TiffTag(tiff.data(), tiff.size(), 257), 70000u);
  EXPECT_FALSE(TiffTag(tiff.data(), tiff.size(), 258)) << "absent";
  auto bad = tiff;
  bad[4] = 200;
  EXPECT_FALSE(TiffTag(bad.data(), bad.size(), 256)) << "IFD past the end";
  bad = tiff;
  bad[8] = 9;
  EXPECT_FALSE(TiffTag(bad.data(), bad.size(), 256)) << "more entries than the data holds";
  bad = tiff;
  bad[12] = 2;
  EXPECT_FALSE(TiffTag(bad.data(), bad.size(), 256)) << "ASCII, not a number";
  bad = tiff;
  bad[14] = 2;
  EXPECT_FALSE(TiffTag(bad.data(), bad.size(), 256)) << "two values";
  for (size_t cut = 0; cut < 34; ++cut) {
    EXPECT_FALSE(TiffTag(tiff.data(), cut, 257)) << cut;
  }
}

// A header that promises a huge image, with almost no data behind it: the
// limit refuses it by name and size from the header. (Decoding first would
// have failed on the missing data instead, or expanded a small file into a
// huge buffer when the data is there.)
TEST(ImageHeaderTest, TheDecoderRefusesAnOversizedImageFromItsHeader) {
  for (const std::string ext : {".png", ".bmp", ".webp", ".ppm"}) {
    SCOPED_TRACE(ext);
    auto bytes = Encode(
        ext, 2000, 1000, 3,
        ext == ".webp" ? std::vector<int>{cv::IMWRITE_WEBP_QUALITY, 50} : std::vector<int>{});
    bytes.resize(std::min<size_t>(bytes.size(), 64));
    ImageDecoder decoder(/*max_pixels=*/1'000'000);
    DecodedImage image;
    const Status s = decoder.Decode(bytes.data(), bytes.size(), "big" + ext, {}, image);
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_NE(s.message().find("2000x1000 is 2000000 pixels, above the limit of 1000000"),
              std::string::npos)
        << s.message();
  }
  // OpenCV writes a TIFF's IFD after its pixels; this one is an IFD alone.
  const std::vector<uint8_t> tiff = IfdOnlyTiff();
  ImageDecoder decoder(/*max_pixels=*/1'000'000);
  DecodedImage image;
  const Status s = decoder.Decode(tiff.data(), tiff.size(), "big.tiff", {}, image);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("300x70000 is 21000000 pixels"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace rvm
