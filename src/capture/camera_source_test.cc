// No camera is attached where these tests run: they pin the error paths a
// deployment meets first (wrong device, unplugged camera, bad settings).
#include "capture/camera_source.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rvm {
namespace {

TEST(CameraSourceTest, MissingDeviceIsTemporaryAndNamesTheDevice) {
  FakeClock clock;
  CameraSource source({.device = "/dev/video97"}, clock);
  Status s = source.Open();
  EXPECT_TRUE(IsTemporary(s)) << s.ToString();
  EXPECT_NE(s.message().find("'/dev/video97'"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("no such device"), std::string::npos) << s.ToString();
}

TEST(CameraSourceTest, BareIndexMeansTheDevVideoNode) {
  FakeClock clock;
  CameraSource source({.device = "97"}, clock);
  Status s = source.Open();
  EXPECT_TRUE(IsTemporary(s)) << s.ToString();
  EXPECT_NE(s.message().find("no such device"), std::string::npos) << s.ToString();
}

TEST(CameraSourceTest, RegularFileIsNotAVideoDevice) {
  auto path =
      std::filesystem::temp_directory_path() / ("rvm_fake_video_" + std::to_string(::getpid()));
  std::ofstream(path) << "x";
  FakeClock clock;
  CameraSource source({.device = path.string()}, clock);
  Status s = source.Open();
  std::filesystem::remove(path);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("not a video device"), std::string::npos);
}

TEST(CameraSourceTest, NonVideoCharacterDeviceCannotBeOpened) {
  FakeClock clock;
  CameraSource source({.device = "/dev/null"}, clock);
  Status s = source.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'/dev/null'"), std::string::npos) << s.ToString();
}

TEST(CameraSourceTest, BadPixelFormatAndEmptyDeviceAreConfigurationErrors) {
  FakeClock clock;
  CameraSource bad_fourcc({.device = "/dev/video0", .fourcc = "MJPEG"}, clock);
  Status s = bad_fourcc.Open();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("MJPEG"), std::string::npos);
  CameraSource no_device({.device = ""}, clock);
  EXPECT_EQ(no_device.Open().code(), StatusCode::kInvalidArgument);
}

TEST(CameraSourceTest, ReadBeforeOpenIsTemporary) {
  FakeClock clock;
  CameraSource source({}, clock);
  Frame frame;
  EXPECT_TRUE(IsTemporary(source.Read(frame)));
  EXPECT_NE(source.Describe().find("requested 1280x720@30"), std::string::npos)
      << source.Describe();
}

}  // namespace
}  // namespace rvm
