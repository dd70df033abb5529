#include "config/execution_providers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_parser.h"
#include "config/config_validate.h"

namespace rvm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Problems(const ExecutionProviderOptions& o) {
  std::vector<std::string> out;
  for (const ExecutionProviderProblem& p : ExecutionProviderProblems(o)) {
    out.push_back(p.key + " = " + p.value + ": " + p.problem);
  }
  return out;
}

ExecutionProviderOptions With(std::vector<std::string> providers) {
  ExecutionProviderOptions o;
  o.providers = std::move(providers);
  return o;
}

TEST(ExecutionProvidersTest, TheDefaultIsTheCpuAlone) {
  ExecutionProviderOptions o;
  EXPECT_THAT(o.providers, ElementsAre("cpu"));
  EXPECT_FALSE(o.wants_gpu());
  EXPECT_THAT(Problems(o), IsEmpty());
}

TEST(ExecutionProvidersTest, TheJetsonPreferenceIsValid) {
  ExecutionProviderOptions o = With({"tensorrt", "cuda", "cpu"});
  o.require_gpu = true;
  o.tensorrt_fp16 = true;
  EXPECT_TRUE(o.wants_gpu());
  EXPECT_THAT(Problems(o), IsEmpty());
  EXPECT_THAT(Problems(With({"cuda"})), IsEmpty()) << "the CPU is the implicit last resort";
}

TEST(ExecutionProvidersTest, AnUnknownProviderIsNamedWithTheKnownOnes) {
  EXPECT_THAT(Problems(With({"gpu", "cpu"})),
              ElementsAre("execution_providers = [\"gpu\", \"cpu\"]: \"gpu\" is not one of "
                          "tensorrt, cuda, cpu"));
}

TEST(ExecutionProvidersTest, AnEmptyListADuplicateAndTheCpuBeforeAGpuAreRefused) {
  EXPECT_THAT(Problems(With({})),
              ElementsAre("execution_providers = []: must name at least one provider, e.g. "
                          "[\"cpu\"]"));
  EXPECT_THAT(Problems(With({"cuda", "cuda"})),
              ElementsAre("execution_providers = [\"cuda\", \"cuda\"]: names \"cuda\" twice"));
  EXPECT_THAT(Problems(With({"cpu", "cpu"})),
              ElementsAre("execution_providers = [\"cpu\", \"cpu\"]: names \"cpu\" twice"))
      << "a duplicate, not a cpu out of place";
  EXPECT_THAT(Problems(With({"cpu", "cuda"})),
              ElementsAre("execution_providers = [\"cpu\", \"cuda\"]: \"cpu\" must come last: it "
                          "runs what no other provider takes"));
}

TEST(ExecutionProvidersTest, RequiringAGpuWithoutListingOneIsRefused) {
  ExecutionProviderOptions o;
  o.require_gpu = true;
  EXPECT_THAT(Problems(o), ElementsAre("require_gpu = true: needs a GPU provider (tensorrt or "
                                       "cuda) in detector.execution_providers"));
}

TEST(ExecutionProvidersTest, DeviceIdAndWorkspaceAreRangeChecked) {
  ExecutionProviderOptions o = With({"tensorrt"});
  o.gpu_device_id = -1;
  o.tensorrt_workspace_bytes = -5;
  EXPECT_THAT(Problems(o),
              ElementsAre("gpu_device_id = -1: must be in [0, 63]",
                          "tensorrt_workspace_bytes = -5: must be in [0, 1099511627776]"));
}

TEST(ExecutionProvidersTest, ACommandLineListIsSplitOnCommas) {
  EXPECT_THAT(SplitProviderList("tensorrt, cuda,cpu"), ElementsAre("tensorrt", "cuda", "cpu"));
  EXPECT_THAT(SplitProviderList(""), IsEmpty());
  EXPECT_THAT(SplitProviderList("cuda,"), ElementsAre("cuda", ""))
      << "a stray comma leaves an empty name for the check to refuse";
}

TEST(ExecutionProvidersTest, TheConfigFileReadsAndChecksTheKeysUnderDetector) {
  Result<Config> r = ParseConfig(R"([detector]
execution_providers = ["tensorrt", "cuda", "cpu"]
require_gpu = true
gpu_device_id = 1
tensorrt_fp16 = true
tensorrt_int8 = true
tensorrt_workspace_bytes = 268435456
)",
                                 "test.toml", [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ExecutionProviderOptions& e = r->detector.execution;
  EXPECT_THAT(e.providers, ElementsAre("tensorrt", "cuda", "cpu"));
  EXPECT_TRUE(e.require_gpu);
  EXPECT_EQ(e.gpu_device_id, 1);
  EXPECT_TRUE(e.tensorrt_fp16);
  EXPECT_TRUE(e.tensorrt_int8);
  EXPECT_EQ(e.tensorrt_workspace_bytes, 268435456);

  Result<Config> bad = ParseConfig("[detector]\nexecution_providers = [\"cuda\", \"npu\"]\n",
                                   "test.toml", [](const std::string&) { return std::nullopt; });
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("test.toml:2:23: detector.execution_providers = [\"cuda\", \"npu\"]: "
                        "\"npu\" is not one of tensorrt, cuda, cpu"));
}

TEST(ExecutionProvidersTest, GpuProvidersNeedTheOnnxRuntimeBackend) {
  Config c;
  c.detector.backend = "opencv";
  c.detector.execution.providers = {"cuda", "cpu"};
  std::vector<std::string> messages;
  for (const ConfigIssue& issue : ValidateConfig(c)) messages.push_back(issue.message);
  EXPECT_THAT(messages, ElementsAre("detector.execution_providers = [\"cuda\", \"cpu\"]: GPU "
                                    "providers need detector.backend = \"ort\" (OpenCV DNN runs "
                                    "on the CPU)"));
}

}  // namespace
}  // namespace rvm
