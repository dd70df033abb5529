#include "base/file_util.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace rvm {
namespace {

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rvm_file_util_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FileUtilTest, AtomicWriteThenReadRoundTrips) {
  std::string p = (dir_ / "a.bin").string();
  ASSERT_TRUE(WriteFileAtomic(p, "hello").ok());
  ASSERT_TRUE(WriteFileAtomic(p, "world!").ok());
  auto bytes = ReadFileBytes(p);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), "world!");
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir_), {}), 1);
}

TEST_F(FileUtilTest, MissingFileIsNotFoundAndNamesTheRole) {
  auto r = ReadFileBytes((dir_ / "nope.onnx").string(), "model");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("model '"), std::string::npos);
}

TEST(WithoutUtf8BomTest, DropsALeadingMarkAndNothingElse) {
  EXPECT_EQ(WithoutUtf8Bom("\xEF\xBB\xBF"
                           "can"),
            "can");
  EXPECT_EQ(WithoutUtf8Bom("can\xEF\xBB\xBF"), "can\xEF\xBB\xBF");
  EXPECT_EQ(WithoutUtf8Bom("\xEF\xBB"), "\xEF\xBB");
  EXPECT_EQ(WithoutUtf8Bom(""), "");
}

TEST_F(FileUtilTest, DirectoryIsRejected) {
  auto r = ReadFileBytes(dir_.string(), "image");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace rvm
