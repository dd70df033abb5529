#include "inference/provider_selection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace rvm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A machine described by which providers load and which sessions open.
struct FakeMachine {
  std::set<std::string> loadable;           // providers whose library loads
  std::set<std::string> runnable = {"cpu"};  // providers a session can run on
  std::vector<std::string> loads;           // every load() call, in order
  std::vector<std::vector<std::string>> opens;  // every open() call, in order

  LoadProviderFn Load() {
    return [this](const std::string& p) {
      loads.push_back(p);
      return loadable.count(p) ? Status::Ok() : Unavailable(p + " library not found");
    };
  }
  OpenSessionFn Open() {
    return [this](const std::vector<std::string>& gpu) {
      opens.push_back(gpu);
      for (const std::string& p : gpu) {
        if (!runnable.count(p)) return Unavailable("no CUDA-capable device");
      }
      return runnable.count("cpu") ? Status::Ok() : InvalidArgument("model is broken");
    };
  }
};

ExecutionProviderOptions Prefer(std::vector<std::string> providers, bool require_gpu = false) {
  ExecutionProviderOptions o;
  o.providers = std::move(providers);
  o.require_gpu = require_gpu;
  return o;
}

TEST(ProviderSelectionTest, TheCpuAloneLoadsNothingAndOpensOnce) {
  FakeMachine m;
  auto r = SelectProviders(Prefer({"cpu"}), m.Load(), m.Open());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->providers, ElementsAre("cpu"));
  EXPECT_THAT(r->skipped, IsEmpty());
  EXPECT_THAT(m.loads, IsEmpty());
  EXPECT_THAT(m.opens, ElementsAre(std::vector<std::string>{}));
}

TEST(ProviderSelectionTest, EveryLoadableProviderIsRegisteredInTheOrderOfPreference) {
  FakeMachine m{.loadable = {"tensorrt", "cuda"}, .runnable = {"tensorrt", "cuda", "cpu"}};
  auto r = SelectProviders(Prefer({"tensorrt", "cuda", "cpu"}), m.Load(), m.Open());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->providers, ElementsAre("tensorrt", "cuda", "cpu"));
  EXPECT_THAT(r->skipped, IsEmpty());
  EXPECT_THAT(m.opens, ElementsAre(std::vector<std::string>{"tensorrt", "cuda"}));
}

TEST(ProviderSelectionTest, AProviderThatDoesNotLoadIsSkippedWithOneLineSayingWhy) {
  FakeMachine m{.loadable = {"cuda"}, .runnable = {"cuda", "cpu"}};
  auto r = SelectProviders(Prefer({"tensorrt", "cuda", "cpu"}), m.Load(), m.Open());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->providers, ElementsAre("cuda", "cpu"));
  EXPECT_THAT(r->skipped,
              ElementsAre("execution provider tensorrt skipped: tensorrt library not found"));
}

TEST(ProviderSelectionTest, WithoutAnyGpuTheCpuRunsTheModelAndEachGpuProviderIsNamed) {
  FakeMachine m;
  auto r = SelectProviders(Prefer({"tensorrt", "cuda"}), m.Load(), m.Open());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->providers, ElementsAre("cpu")) << "the CPU is the last resort, listed or not";
  EXPECT_THAT(r->skipped,
              ElementsAre("execution provider tensorrt skipped: tensorrt library not found",
                          "execution provider cuda skipped: cuda library not found"));
}

TEST(ProviderSelectionTest, ASessionThatFailsOnTheGpuDropsTheMostPreferredAndRetries) {
  // Libraries present, but the session cannot use TensorRT (say, an engine build fails).
  FakeMachine m{.loadable = {"tensorrt", "cuda"}, .runnable = {"cuda", "cpu"}};
  auto r = SelectProviders(Prefer({"tensorrt", "cuda", "cpu"}), m.Load(), m.Open());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->providers, ElementsAre("cuda", "cpu"));
  EXPECT_THAT(r->skipped, ElementsAre("execution provider tensorrt skipped: cannot run the "
                                      "model: no CUDA-capable device"));
  EXPECT_THAT(m.opens, ElementsAre(std::vector<std::string>{"tensorrt", "cuda"},
                                   std::vector<std::string>{"cuda"}));
}

TEST(ProviderSelectionTest, RequireGpuMakesAProviderThatDoesNotLoadFatal) {
  FakeMachine m{.loadable = {"cuda"}, .runnable = {"cuda", "cpu"}};
  auto r = SelectProviders(Prefer({"tensorrt", "cuda", "cpu"}, true), m.Load(), m.Open());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "execution provider tensorrt cannot be loaded: tensorrt library not found "
            "(detector.require_gpu = true)");
  EXPECT_THAT(m.opens, IsEmpty()) << "nothing is opened once the requirement fails";
}

TEST(ProviderSelectionTest, RequireGpuMakesASessionThatCannotUseTheGpuFatal) {
  FakeMachine m{.loadable = {"cuda"}};
  auto r = SelectProviders(Prefer({"cuda", "cpu"}, true), m.Load(), m.Open());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "execution provider cuda cannot run the model: no CUDA-capable "
                                  "device (detector.require_gpu = true)");
  EXPECT_THAT(m.opens, ElementsAre(std::vector<std::string>{"cuda"}))
      << "the CPU is never tried alone when a GPU is required";
}

TEST(ProviderSelectionTest, RequireGpuWithNoGpuProviderListedIsAnError) {
  FakeMachine m;
  auto r = SelectProviders(Prefer({"cpu"}, true), m.Load(), m.Open());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("no GPU execution provider"));
}

TEST(ProviderSelectionTest, ABrokenModelFailsWithItsOwnErrorAfterTheGpuProvidersAreDropped) {
  FakeMachine m{.loadable = {"cuda"}, .runnable = {}};
  auto r = SelectProviders(Prefer({"cuda", "cpu"}), m.Load(), m.Open());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "model is broken");
  EXPECT_EQ(m.opens.size(), 2u);
}

}  // namespace
}  // namespace rvm
