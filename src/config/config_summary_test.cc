#include "config/config_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config_parser.h"

namespace rvm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

EnvLookup NoEnv() {
  return [](const std::string&) { return std::optional<std::string>(); };
}

TEST(ConfigSummaryTest, SecretValuesAreNeverPrinted) {
  Config c;
  c.uplink.api_key = {"sk-very-secret", "file"};
  c.uplink.password = {"hunter2", "env RVM_EDGE_PASSWORD"};
  c.admin.token = {"admintok", "env MY_TOKEN"};
  const std::string s = RenderConfigSummary(c);
  EXPECT_THAT(s, Not(HasSubstr("sk-very-secret")));
  EXPECT_THAT(s, Not(HasSubstr("hunter2")));
  EXPECT_THAT(s, Not(HasSubstr("admintok")));
  EXPECT_THAT(s, HasSubstr("# api_key = <redacted> (set, from file)"));
  EXPECT_THAT(s, HasSubstr("# password = <redacted> (set, from env RVM_EDGE_PASSWORD)"));
  EXPECT_THAT(s, HasSubstr("# token = <redacted> (unset)"));
}

TEST(ConfigSummaryTest, TheSummaryParsesBackToTheSameConfig) {
  Config c;
  c.machine.name = "Chute \"A\" \\ north";
  c.detector.conf_threshold = 0.35;
  c.capture.source = "synthetic";
  c.capture.fps = 12.5;
  c.policy.label_materials = {{"wine glass", Material::kGlass}, {"can", Material::kAluminium}};
  c.policy.ignored_labels = {};
  c.policy.accepted_materials = {Material::kAluminium};
  c.sessions.points[Material::kGlass] = 7;
  c.tracker.settle_frames = 9;
  Result<Config> back = ParseConfig(RenderConfigSummary(c), "summary", NoEnv());
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << RenderConfigSummary(c);
  EXPECT_EQ(*back, c);
}

TEST(ConfigSummaryTest, TheSummaryShowsEffectiveValues) {
  Config c;
  c.tracker.max_missed_frames = 7;
  const std::string s = RenderConfigSummary(c);
  EXPECT_THAT(s, HasSubstr("[tracker]\niou_match_threshold = 0.3\nmax_missed_frames = 7\n"));
  EXPECT_THAT(s, HasSubstr("\"wine glass\" = \"glass\""));
}

}  // namespace
}  // namespace rvm
