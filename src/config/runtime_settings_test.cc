#include "config/runtime_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_reload.h"
#include "config/config_validate.h"

namespace rvm {
namespace {

using ::testing::IsEmpty;

// Every field set to a valid value other than its default.
RuntimeSettings AllChanged() {
  RuntimeSettings s;
  s.conf_threshold = 0.6;
  s.idle_fps = 3;
  s.active_fps = 12;
  s.motion_threshold = 0.2;
  s.quiet_period_ms = 900;
  s.accept_threshold[Material::kPet] = 0.9;
  s.idle_timeout_s = 5;
  s.points[Material::kGlass] = 99;
  s.heartbeat_interval_s = 7;
  s.retry_backoff_min_ms = 10;
  s.retry_backoff_max_ms = 20;
  s.log_level = "warn";
  s.log_format = "json";
  return s;
}

TEST(RuntimeSettingsTest, TheDefaultsAreTheConfigurationsDefaults) {
  EXPECT_EQ(RuntimeSettings{}, RuntimeSettingsOf(Config{}));
  EXPECT_THAT(ValidateRuntimeSettings(RuntimeSettings{}), IsEmpty());
}

TEST(RuntimeSettingsTest, ItHoldsExactlyTheKeysThatReloadCallsRunTime) {
  const Config running;
  const Config fresh = WithRuntimeSettings(running, AllChanged());
  const ReloadPlan plan = PlanReload(running, fresh);
  EXPECT_THAT(plan.restart_needed, IsEmpty()) << "a RuntimeSettings field is a restart key";
  // Every run-time key of the configuration is a field: changing all fields
  // changes every run-time key there is (table entries: one each).
  std::vector<std::string> expected;
  for (const std::string& key : ConfigKeys(running)) {
    if (ReloadClassOf(key) == ReloadClass::kRunTime && !key.starts_with("policy.accept_threshold.") &&
        !key.starts_with("sessions.points.")) {
      expected.push_back(key);
    }
  }
  expected.push_back("policy.accept_threshold.pet");
  expected.push_back("sessions.points.glass");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(plan.apply, expected);
}

TEST(RuntimeSettingsTest, WrittenBackIntoAConfigTheyReadBackUnchanged) {
  const RuntimeSettings s = AllChanged();
  EXPECT_EQ(RuntimeSettingsOf(WithRuntimeSettings(Config{}, s)), s);
}

TEST(RuntimeSettingsTest, EachRuleNamesTheKeyAndTheProblem) {
  RuntimeSettings s;
  s.conf_threshold = 1.5;
  s.idle_fps = 20;
  s.active_fps = 10;
  s.motion_threshold = 0;
  s.retry_backoff_min_ms = 500;
  s.retry_backoff_max_ms = 100;
  s.log_format = "xml";
  std::vector<std::string> messages;
  for (const ConfigIssue& i : ValidateRuntimeSettings(s)) messages.push_back(i.message);
  EXPECT_THAT(messages,
              ::testing::UnorderedElementsAre(
                  "detector.conf_threshold = 1.5: must be in [0, 1]",
                  "capture.idle_fps = 20: must not exceed capture.active_fps (10)",
                  "capture.motion_threshold = 0: must be in (0, 1]",
                  "uplink.retry_backoff_max_ms = 100: must be >= uplink.retry_backoff_min_ms (500)",
                  "logging.format = \"xml\": must be one of text, json"));
}

TEST(RuntimeSettingsTest, ConfigValidationUsesTheSameRules) {
  Config c;
  c.detector.conf_threshold = -0.1;
  const std::vector<ConfigIssue> issues = ValidateConfig(c);
  ASSERT_EQ(issues.size(), 1u);
  RuntimeSettings s;
  s.conf_threshold = -0.1;
  EXPECT_EQ(issues[0].message, ValidateRuntimeSettings(s).at(0).message);
}

TEST(RuntimeSettingsTest, AConfidenceThresholdFromElsewhereGetsTheSameMessageUnderItsOwnName) {
  EXPECT_TRUE(CheckConfThreshold(0.25).ok());
  EXPECT_TRUE(CheckConfThreshold(0).ok());
  EXPECT_TRUE(CheckConfThreshold(1).ok());
  EXPECT_EQ(CheckConfThreshold(1.7).message(), "detector.conf_threshold = 1.7: must be in [0, 1]");
  EXPECT_EQ(CheckConfThreshold(-1, "--conf").message(), "--conf = -1: must be in [0, 1]");
  EXPECT_FALSE(CheckConfThreshold(std::nan("")).ok());
}

}  // namespace
}  // namespace rvm
