// Execution-provider selection on the real ONNX Runtime this project links.
// The SDKs fetched for x86-64 and aarch64 are CPU-only builds: appending the
// CUDA or TensorRT provider fails there, which is a real fallback case.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "inference/engine_factory.h"

namespace rvm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string Model() { return std::string(RVM_SHARED_DIR) + "/models/fastestdet.onnx"; }

EngineOptions On(std::vector<std::string> providers, bool require_gpu = false) {
  EngineOptions o;
  o.model_path = Model();
  o.threads = 1;
  o.execution.providers = std::move(providers);
  o.execution.require_gpu = require_gpu;
  return o;
}

// Runs one inference on a fixed input and returns the output.
std::vector<float> Infer(InferenceEngine& engine) {
  auto runner = engine.NewRunner(1);
  EXPECT_TRUE(runner.ok()) << runner.status().ToString();
  if (!runner.ok()) return {};
  const size_t n = engine.info().input_elements_per_image();
  for (size_t i = 0; i < n; ++i) (*runner)->input()[i] = static_cast<float>(i % 251) / 251.0f;
  EXPECT_TRUE((*runner)->Run(1).ok());
  const float* out = (*runner)->output();
  return std::vector<float>(out, out + engine.info().output_elements_per_image());
}

TEST(OrtProvidersTest, TheDefaultRunsOnTheCpuWithNothingSkipped) {
  auto engine = LoadEngine(On({"cpu"}));
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  EXPECT_THAT((*engine)->info().execution_providers, ElementsAre("cpu"));
  EXPECT_EQ((*engine)->info().execution_provider(), "cpu");
  EXPECT_THAT((*engine)->info().provider_notes, IsEmpty());
}

TEST(OrtProvidersTest, GpuProvidersThatCannotLoadAreSkippedWithOneLineEachAndTheCpuRunsTheModel) {
  ::testing::internal::CaptureStderr();
  auto engine = LoadEngine(On({"tensorrt", "cuda", "cpu"}));
  const std::string runtime_stderr = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  const ModelInfo& info = (*engine)->info();
  if (info.execution_provider() != "cpu") GTEST_SKIP() << "this runtime has a working GPU provider";
  EXPECT_THAT(info.execution_providers, ElementsAre("cpu"));
  ASSERT_EQ(info.provider_notes.size(), 2u);
  EXPECT_THAT(info.provider_notes[0],
              StartsWith("execution provider tensorrt skipped: this ONNX Runtime cannot load it"));
  EXPECT_THAT(info.provider_notes[1],
              StartsWith("execution provider cuda skipped: this ONNX Runtime cannot load it"));
  for (const std::string& note : info.provider_notes) {
    // The reason is the runtime's own: the provider library it could not open.
    EXPECT_THAT(note, HasSubstr("Failed to load")) << note;
    EXPECT_THAT(note, Not(HasSubstr("DefaultLogger"))) << "loaded before the runtime's logger";
    EXPECT_THAT(note, Not(HasSubstr("\n")));
  }
  EXPECT_EQ(runtime_stderr, "") << "the runtime's own error lines are folded into the notes";

  // The fallback session computes what a CPU session does.
  auto cpu = LoadEngine(On({"cpu"}));
  ASSERT_TRUE(cpu.ok()) << cpu.status().ToString();
  EXPECT_EQ(Infer(**engine), Infer(**cpu));
}

TEST(OrtProvidersTest, RequireGpuOnARuntimeWithoutOneIsAnErrorNamingTheProviderAndTheModel) {
  auto engine = LoadEngine(On({"cuda", "cpu"}, /*require_gpu=*/true));
  if (engine.ok() && (*engine)->info().execution_provider() == "cuda") {
    GTEST_SKIP() << "this runtime has a working CUDA provider";
  }
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(engine.status().message(),
              StartsWith("model '" + Model() + "': execution provider cuda cannot be loaded: "));
  EXPECT_THAT(engine.status().message(), HasSubstr("(detector.require_gpu = true)"));
}

TEST(OrtProvidersTest, AFileThatIsNotAModelIsAnErrorNamingItOnce) {
  const std::filesystem::path bad =
      std::filesystem::temp_directory_path() / "ort_providers_test_not_a_model.onnx";
  {
    std::ofstream f(bad, std::ios::binary);
    f << "this is not an ONNX protobuf";
  }
  EngineOptions o = On({"cpu"});
  o.model_path = bad.string();
  auto engine = LoadEngine(o);
  std::filesystem::remove(bad);
  ASSERT_FALSE(engine.ok());
  const std::string named = "model '" + bad.string() + "'";
  EXPECT_THAT(engine.status().message(), StartsWith(named + ": not a loadable ONNX model"));
  EXPECT_EQ(engine.status().message().find(named, 1), std::string::npos)
      << "the model is named once: " << engine.status().message();
}

TEST(OrtProvidersTest, AnUnknownProviderOrAGpuForOpenCvIsRefusedBeforeLoading) {
  auto unknown = LoadEngine(On({"npu"}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "execution_providers = [\"npu\"]: \"npu\" is not one of tensorrt, cuda, cpu");
  EngineOptions opencv = On({"cuda", "cpu"});
  opencv.backend = "opencv";
  auto refused = LoadEngine(opencv);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("GPU providers need the ort backend"));
}

TEST(OrtProvidersTest, TheCpuFallbackStillUsesTheOptimisedGraphCache) {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("rvm_providers_" + std::to_string(::getpid())))
          .string();
  EngineOptions o = On({"cuda", "cpu"});
  o.cache_dir = dir;
  auto first = LoadEngine(o);
  auto second = LoadEngine(o);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  if ((*first)->info().execution_provider() != "cpu") GTEST_SKIP() << "runs on CUDA here";
  EXPECT_EQ((*first)->info().cache, "miss");
  EXPECT_EQ((*second)->info().cache, "hit");
}

}  // namespace
}  // namespace rvm
