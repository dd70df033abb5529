#include "vision/decode_ahead.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <atomic>

namespace rvm {
namespace {

// Image i is a (40 + i) x 30 JPEG whose colour encodes i; image `bad` is garbage.
std::vector<std::vector<uint8_t>> MakeImages(int n, int bad) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i) {
    if (i == bad) {
      out.push_back({'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
      continue;
    }
    cv::Mat m(30, 40 + i, CV_8UC3, cv::Scalar(0, 0, 10 * i));
    std::vector<uint8_t> buf;
    cv::imencode(".jpg", m, buf);
    out.push_back(std::move(buf));
  }
  return out;
}

DecodeAhead::Source From(const std::vector<std::vector<uint8_t>>& images) {
  return [&images](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
    bytes = images[static_cast<size_t>(i)];
    name = "image-" + std::to_string(i);
    return Status::Ok();
  };
}

// Like From(), and records in `requested` how many images were asked for.
DecodeAhead::Source Counting(const std::vector<std::vector<uint8_t>>& images,
                             std::atomic<int>& requested) {
  return [&images, &requested](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
    requested = static_cast<int>(i) + 1;
    bytes = images[static_cast<size_t>(i)];
    name = "x";
    return Status::Ok();
  };
}

TEST(DecodeAheadTest, ImagesComeOutInOrderAndAnErrorDoesNotStopTheSequence) {
  const auto images = MakeImages(9, /*bad=*/4);
  DecodeAhead ahead(From(images), 9, DecodeTarget{});
  for (int i = 0; i < 9; ++i) {
    const DecodedImage* img = nullptr;
    DecodeAhead::Timing timing{-1, -1};
    const Status s = ahead.Next(&img, &timing);
    EXPECT_GE(timing.source_ms, 0);  // filled in for errors too
    EXPECT_GE(timing.decode_ms, 0);
    if (i == 4) {
      EXPECT_FALSE(s.ok());
      EXPECT_EQ(img, nullptr);
      EXPECT_NE(s.message().find("image-4"), std::string::npos) << s.message();
    } else {
      ASSERT_TRUE(s.ok()) << s.message();
      ASSERT_NE(img, nullptr);
      EXPECT_EQ(img->bgr.cols, 40 + i);
      EXPECT_EQ(img->bgr.rows, 30);
      EXPECT_NEAR(img->bgr.at<cv::Vec3b>(15, 20)[2], 10 * i, 3);
    }
    ahead.Release();
  }
  const DecodedImage* img = nullptr;
  EXPECT_FALSE(ahead.Next(&img).ok());  // all taken
}

TEST(DecodeAheadTest, DecodesAtMostOneImageAheadOfTheConsumer) {
  const auto images = MakeImages(6, -1);
  std::atomic<int> requested{0};
  DecodeAhead ahead(Counting(images, requested), 6, DecodeTarget{});
  const DecodedImage* img = nullptr;
  ASSERT_TRUE(ahead.Next(&img).ok());
  // Holding image 0: the thread may fill the other slot (image 1), no more.
  for (int spin = 0; spin < 200 && requested < 2; ++spin) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(requested.load(), 2);
  ahead.Release();
  ASSERT_TRUE(ahead.Next(&img).ok());
  EXPECT_EQ(img->bgr.cols, 41);
  ahead.Release();
}

TEST(DecodeAheadTest, SourceErrorsAreThatImagesStatus) {
  const auto images = MakeImages(3, -1);
  DecodeAhead ahead(
      [&](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
        if (i == 1) return IoError("'missing.jpg': no such file");
        bytes = images[static_cast<size_t>(i)];
        name = "x";
        return Status::Ok();
      },
      3, DecodeTarget{});
  const DecodedImage* img = nullptr;
  EXPECT_TRUE(ahead.Next(&img).ok());
  ahead.Release();
  const Status s = ahead.Next(&img);
  EXPECT_EQ(s.message(), "'missing.jpg': no such file");
  ahead.Release();
  EXPECT_TRUE(ahead.Next(&img).ok());
  ahead.Release();
}

TEST(DecodeAheadTest, DestroyingItEarlyStopsTheThread) {
  const auto images = MakeImages(2, -1);
  DecodeAhead ahead(
      [&](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
        bytes = images[static_cast<size_t>(i % 2)];
        name = "x";
        return Status::Ok();
      },
      1'000'000, DecodeTarget{});
  const DecodedImage* img = nullptr;
  ASSERT_TRUE(ahead.Next(&img).ok());
  // Leaves with an image held and the other slot full: the destructor must not hang.
}

TEST(DecodeAheadTest, WaitUntilIdleReturnsOnceBothSlotsAreDecoded) {
  const auto images = MakeImages(5, -1);
  std::atomic<int> requested{0};
  DecodeAhead ahead(Counting(images, requested), 5, DecodeTarget{});
  ahead.WaitUntilIdle();
  EXPECT_EQ(requested.load(), 2);
  const DecodedImage* img = nullptr;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ahead.Next(&img).ok());
    ahead.Release();
  }
  ahead.WaitUntilIdle();  // every image decoded: returns at once
  EXPECT_EQ(requested.load(), 5);
}

TEST(DecodeAheadTest, NextBeforeReleaseIsRefused) {
  const auto images = MakeImages(3, -1);
  DecodeAhead ahead(From(images), 3, DecodeTarget{});
  const DecodedImage* img = nullptr;
  ASSERT_TRUE(ahead.Next(&img).ok());
  EXPECT_FALSE(ahead.Next(&img).ok());
  ahead.Release();
  EXPECT_TRUE(ahead.Next(&img).ok());
  ahead.Release();
}

}  // namespace
}  // namespace rvm
