#include "config/config_reload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <toml++/toml.h>

namespace rvm {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kExamplePath = std::string(RVM_SOURCE_DIR) + "/config/rvm-edge.example.toml";

TEST(ConfigReloadTest, EveryKeyOfTheConfigurationIsClassified) {
  const std::vector<std::string> keys = ConfigKeys(Config{});
  ASSERT_GT(keys.size(), 70u);
  for (const std::string& key : keys) {
    EXPECT_NE(ReloadClassOf(key), ReloadClass::kUnclassified)
        << key << " is not classified in config_reload.cc: is it safe to change at run time?";
  }
  for (const char* secret : {"uplink.api_key", "uplink.password", "uplink.token", "admin.token"}) {
    EXPECT_THAT(keys, ::testing::Contains(secret));
  }
}

void CollectKeys(const toml::table& t, const std::string& prefix, std::vector<std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string name =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (v.is_table() && name != "policy.labels") {
      CollectKeys(*v.as_table(), name, out);
    } else {
      out.push_back(name);
    }
  }
}

TEST(ConfigReloadTest, EveryKeyOfTheExampleFileIsClassified) {
  std::vector<std::string> keys;
  CollectKeys(toml::parse_file(kExamplePath), "", keys);
  ASSERT_GT(keys.size(), 70u);
  for (const std::string& key : keys) {
    EXPECT_NE(ReloadClassOf(key), ReloadClass::kUnclassified) << key;
  }
}

TEST(ConfigReloadTest, AnUnknownKeyIsUnclassified) {
  EXPECT_EQ(ReloadClassOf("capture.new_knob"), ReloadClass::kUnclassified);
  EXPECT_EQ(ReloadClassOf("policy.accept_threshold."), ReloadClass::kUnclassified);
}

TEST(ConfigReloadTest, IdenticalConfigurationsNeedNothing) {
  Config c;
  c.admin.token = {"t", "file"};
  EXPECT_TRUE(PlanReload(c, c).empty());
}

TEST(ConfigReloadTest, ThresholdsRatesAndTheLogLevelApplyAtRunTime) {
  const Config running;
  Config fresh;
  fresh.detector.conf_threshold = 0.4;
  fresh.capture.idle_fps = 1;
  fresh.capture.motion_threshold = 0.05;
  fresh.policy.accept_threshold[Material::kGlass] = 0.7;
  fresh.sessions.idle_timeout_s = 90;
  fresh.sessions.points[Material::kPet] = 12;
  fresh.uplink.heartbeat_interval_s = 20;
  fresh.uplink.retry_backoff_max_ms = 30000;
  fresh.logging.level = "debug";
  fresh.logging.format = "json";
  const ReloadPlan plan = PlanReload(running, fresh);
  EXPECT_THAT(plan.apply,
              ElementsAre("capture.idle_fps", "capture.motion_threshold", "detector.conf_threshold",
                          "logging.format", "logging.level", "policy.accept_threshold.glass",
                          "sessions.idle_timeout_s", "sessions.points.pet",
                          "uplink.heartbeat_interval_s", "uplink.retry_backoff_max_ms"));
  EXPECT_THAT(plan.restart_needed, IsEmpty());
}

TEST(ConfigReloadTest, KeysThatReopenOrReloadSomethingNeedARestart) {
  const Config running;
  Config fresh;
  fresh.capture.device = "/dev/video1";
  fresh.detector.model_path = "models/other.onnx";
  fresh.detector.nms_iou = 0.5;
  fresh.pipeline.inference_workers = 3;
  fresh.logging.file = "rvm-edge.log";
  fresh.uplink.base_url = "https://platform.example";
  fresh.capture.active_fps = 10;
  const ReloadPlan plan = PlanReload(running, fresh);
  EXPECT_THAT(plan.apply, ElementsAre("capture.active_fps"));
  EXPECT_THAT(plan.restart_needed,
              ElementsAre("capture.device", "detector.model_path", "detector.nms_iou",
                          "logging.file", "pipeline.inference_workers", "uplink.base_url"));
}

TEST(ConfigReloadTest, AChangedSecretNeedsARestartAndIsNamedByKeyOnly) {
  Config running;
  running.uplink.api_key = {"old-key", "file"};
  Config fresh = running;
  fresh.uplink.api_key = {"new-key", "file"};
  fresh.admin.token = {"admin-tok", "env RVM_EDGE_ADMIN_TOKEN"};
  const ReloadPlan plan = PlanReload(running, fresh);
  EXPECT_THAT(plan.apply, IsEmpty());
  EXPECT_THAT(plan.restart_needed, ElementsAre("admin.token", "uplink.api_key"));
}

TEST(ConfigReloadTest, TheLabelMapIsOneKey) {
  const Config running;
  Config fresh;
  fresh.policy.label_materials["jar"] = Material::kGlass;
  fresh.policy.label_materials.erase("cup");
  EXPECT_THAT(PlanReload(running, fresh).restart_needed, ElementsAre("policy.labels"));
}

}  // namespace
}  // namespace rvm
