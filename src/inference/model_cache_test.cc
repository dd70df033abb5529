#include "inference/model_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/file_util.h"

namespace rvm {
namespace {

class ModelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("rvm_cache_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ModelCache Make(const std::string& model_sha = "abc") {
    return ModelCache(dir_, CacheKeyInputs{model_sha, "1.29.0", "level=all", "cpu"});
  }
  void Stage(const ModelCache& c, const std::string& content) {
    std::ofstream(c.staging_path()) << content;
  }
  std::string dir_;
};

TEST_F(ModelCacheTest, MissingEntryIsNotFound) {
  EXPECT_EQ(Make().Verify().code(), StatusCode::kNotFound);
}

TEST_F(ModelCacheTest, PublishedEntryVerifies) {
  ModelCache c = Make();
  Stage(c, "optimized graph bytes");
  ASSERT_TRUE(c.Publish().ok());
  EXPECT_TRUE(c.Verify().ok());
  EXPECT_FALSE(std::filesystem::exists(c.staging_path()));
}

TEST_F(ModelCacheTest, CorruptGraphIsDetected) {
  ModelCache c = Make();
  Stage(c, "optimized graph bytes");
  ASSERT_TRUE(c.Publish().ok());
  std::ofstream(c.model_path(), std::ios::binary | std::ios::trunc) << "optimized graph bytez";
  Status s = c.Verify();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("does not match"), std::string::npos);
}

TEST_F(ModelCacheTest, GraphWithoutManifestIsNotTrusted) {
  ModelCache c = Make();
  std::ofstream(c.model_path()) << "half-written";
  EXPECT_EQ(c.Verify().code(), StatusCode::kInvalidArgument);
}

TEST_F(ModelCacheTest, GarbageManifestIsNotTrusted) {
  ModelCache c = Make();
  Stage(c, "graph");
  ASSERT_TRUE(c.Publish().ok());
  std::ofstream(c.manifest_path(), std::ios::trunc) << "{not json";
  EXPECT_EQ(c.Verify().code(), StatusCode::kInvalidArgument);
}

TEST_F(ModelCacheTest, DifferentModelHashGivesADifferentKey) {
  EXPECT_NE(Make("a").key(), Make("b").key());
  EXPECT_EQ(Make("a").key(), Make("a").key());
}

TEST_F(ModelCacheTest, RemoveDeletesBothFiles) {
  ModelCache c = Make();
  Stage(c, "graph");
  ASSERT_TRUE(c.Publish().ok());
  c.Remove();
  EXPECT_EQ(c.Verify().code(), StatusCode::kNotFound);
}

TEST(TensorRtEngineDirTest, AChangedModelRuntimeSettingOrGpuGetsAnotherDirectory) {
  ExecutionProviderOptions x;
  x.providers = {"tensorrt", "cuda", "cpu"};
  const std::string base = TensorRtEngineDir("/c", "sha-a", "1.29.0", x, "gpu-1");
  EXPECT_EQ(base.rfind("/c/tensorrt-", 0), 0u) << base;
  EXPECT_EQ(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", x, "gpu-1")) << "stable";
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-b", "1.29.0", x, "gpu-1")) << "model";
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.30.0", x, "gpu-1")) << "runtime";
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", x, "gpu-2")) << "driver or L4T";
  ExecutionProviderOptions fp16 = x;
  fp16.tensorrt_fp16 = true;
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", fp16, "gpu-1")) << "fp16";
  ExecutionProviderOptions int8 = x;
  int8.tensorrt_int8 = true;
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", int8, "gpu-1")) << "int8";
  ExecutionProviderOptions device = x;
  device.gpu_device_id = 1;
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", device, "gpu-1")) << "device";
  ExecutionProviderOptions workspace = x;
  workspace.tensorrt_workspace_bytes = 1 << 20;
  EXPECT_NE(base, TensorRtEngineDir("/c", "sha-a", "1.29.0", workspace, "gpu-1"))
      << "workspace";
}

}  // namespace
}  // namespace rvm
