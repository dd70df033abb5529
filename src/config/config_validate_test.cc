#include "config/config_validate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> Messages(const Config& c) {
  std::vector<std::string> out;
  for (const ConfigIssue& issue : ValidateConfig(c)) out.push_back(issue.message);
  return out;
}

TEST(ConfigValidateTest, TheDefaultConfigIsValid) {
  EXPECT_THAT(ValidateConfig(Config{}), IsEmpty());
}

TEST(ConfigValidateTest, AThresholdAboveOneIsReportedWithKeyAndValue) {
  Config c;
  c.detector.conf_threshold = 1.7;
  const std::vector<ConfigIssue> issues = ValidateConfig(c);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "detector.conf_threshold");
  EXPECT_EQ(issues[0].message, "detector.conf_threshold = 1.7: must be in [0, 1]");
}

TEST(ConfigValidateTest, ARegionOfInterestOutOfOrderOrOutsideTheFrameIsReportedWithItsKey) {
  Config c;
  c.detector.roi = Roi{0.6, 0, 0.4, 1};
  EXPECT_THAT(Messages(c), ElementsAre("detector.roi = [0.6, 0, 0.4, 1]: x0 must be less than x1"));
  c.detector.roi = Roi{0, -0.1, 1, 1};
  EXPECT_THAT(Messages(c), ElementsAre("detector.roi = [0, -0.1, 1, 1]: y0 must be a fraction "
                                       "of the frame in [0, 1]"));
}

TEST(ConfigValidateTest, AdminProbePortsOutsideTheTcpRangeAreReported) {
  Config c;
  c.admin.pulse_port = 70000;
  c.admin.probe_port = -1;
  EXPECT_THAT(Messages(c), ElementsAre("admin.pulse_port = 70000: must be in [0, 65535]",
                                       "admin.probe_port = -1: must be in [0, 65535]"));
}

TEST(ConfigValidateTest, AnAdminPortBeyondLoopbackWithoutATokenIsRefusedNamingTheWayOut) {
  Config c;
  c.admin.bind_address = "0.0.0.0";
  const std::vector<ConfigIssue> issues = ValidateConfig(c);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].key, "admin.bind_address");
  EXPECT_THAT(issues[0].message, HasSubstr("admin.bind_address = \"0.0.0.0\": listens beyond "
                                           "loopback and admin.token is not set"));
  EXPECT_THAT(issues[0].message, HasSubstr("admin.allow_unauthenticated_remote = true"));
}

TEST(ConfigValidateTest, AnAdminPortBeyondLoopbackIsAcceptedWithATokenOrAnExplicitOptIn) {
  Config with_token;
  with_token.admin.bind_address = "192.168.1.20";
  with_token.admin.token = {"t", "file"};
  EXPECT_THAT(ValidateConfig(with_token), IsEmpty());
  Config opted_in;
  opted_in.admin.bind_address = "::";
  opted_in.admin.allow_unauthenticated_remote = true;
  EXPECT_THAT(ValidateConfig(opted_in), IsEmpty());
}

TEST(ConfigValidateTest, LoopbackAddressesNeedNoToken) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(a)) << a;
    Config c;
    c.admin.bind_address = a;
    EXPECT_THAT(ValidateConfig(c), IsEmpty()) << a;
  }
  for (const char* a : {"0.0.0.0", "::", "10.0.0.5", "128.0.0.1", "localhost.example.com"}) {
    EXPECT_FALSE(IsLoopbackAddress(a)) << a;
  }
}

TEST(ConfigValidateTest, AnUnknownChoiceListsTheAllowedValues) {
  Config c;
  c.capture.source = "webcam";
  EXPECT_THAT(Messages(c),
              ElementsAre("capture.source = \"webcam\": must be one of camera, gstreamer, video, "
                          "images, synthetic"));
}

TEST(ConfigValidateTest, AFileSourceNeedsAPath) {
  Config c;
  c.capture.source = "images";
  EXPECT_THAT(Messages(c), ElementsAre("capture.path = \"\": must not be empty"));
}

TEST(ConfigValidateTest, AFourccMustBeFourCharactersOrEmpty) {
  Config c;
  c.capture.fourcc = "MJPEG";
  EXPECT_THAT(Messages(c),
              ElementsAre(HasSubstr("capture.fourcc = \"MJPEG\": must be 4 characters")));
  c.capture.fourcc = "";
  EXPECT_THAT(Messages(c), IsEmpty());
}

TEST(ConfigValidateTest, SettleFramesBelowTheMinimumFramesIsReported) {
  Config c;
  c.tracker.min_frames_to_decide = 5;
  c.tracker.settle_frames = 3;
  EXPECT_THAT(
      Messages(c),
      ElementsAre("tracker.settle_frames = 3: must be >= tracker.min_frames_to_decide (5)"));
}

TEST(ConfigValidateTest, AMultipleItemsScoreOutsideZeroToOneIsRejected) {
  Config c;
  c.tracker.multiple_items_min_score = 1.5;
  EXPECT_THAT(Messages(c), ElementsAre(HasSubstr("tracker.multiple_items_min_score = 1.5")));
  c.tracker.multiple_items_min_score = 0;
  EXPECT_THAT(Messages(c), IsEmpty());
}

TEST(ConfigValidateTest, AZeroIouMatchThresholdIsRejected) {
  Config c;
  c.tracker.iou_match_threshold = 0;
  EXPECT_THAT(Messages(c), ElementsAre("tracker.iou_match_threshold = 0: must be in (0, 1]"));
}

TEST(ConfigValidateTest, IdleRateAboveActiveRateIsReported) {
  Config c;
  c.capture.idle_fps = 20;
  EXPECT_THAT(Messages(c), ElementsAre(HasSubstr("capture.idle_fps = 20: must not exceed")));
}

TEST(ConfigValidateTest, AnOnlineEdgeV1UplinkNeedsAnApiKey) {
  Config c;
  c.uplink.base_url = "http://127.0.0.1:8000";
  EXPECT_THAT(Messages(c), ElementsAre(HasSubstr("uplink.api_key = (unset): required")));
  c.uplink.api_key = {"k", "file"};
  EXPECT_THAT(Messages(c), IsEmpty());
}

TEST(ConfigValidateTest, AnOfflineUplinkNeedsNoCredentials) {
  Config c;
  c.uplink.contract = "v2";
  c.uplink.sync_offline_auth = "bearer";
  EXPECT_THAT(Messages(c), IsEmpty());
}

TEST(ConfigValidateTest, BearerSyncNeedsATokenAndTheMachineId) {
  Config c;
  c.uplink.base_url = "https://platform.example";
  c.uplink.api_key = {"k", "file"};
  c.uplink.sync_offline_auth = "bearer";
  EXPECT_THAT(ValidateConfig(c), ElementsAre(Field(&ConfigIssue::key, "uplink.token"),
                                             Field(&ConfigIssue::key, "uplink.machine_id")));
}

TEST(ConfigValidateTest, TheV2ContractNeedsEmailPasswordAndRvmId) {
  Config c;
  c.uplink.base_url = "https://platform.example";
  c.uplink.contract = "v2";
  EXPECT_THAT(ValidateConfig(c), ElementsAre(Field(&ConfigIssue::key, "uplink.email"),
                                             Field(&ConfigIssue::key, "uplink.password"),
                                             Field(&ConfigIssue::key, "uplink.machine_id")));
}

TEST(ConfigValidateTest, ABaseUrlMustBeHttp) {
  Config c;
  c.uplink.base_url = "ftp://x";
  c.uplink.api_key = {"k", "file"};
  EXPECT_THAT(Messages(c),
              ElementsAre("uplink.base_url = \"ftp://x\": must start with http:// or https://"));
}

TEST(ConfigValidateTest, AHeartbeatSlowerThanAMinuteIsRejected) {
  Config c;
  c.uplink.heartbeat_interval_s = 90;
  EXPECT_THAT(Messages(c), ElementsAre("uplink.heartbeat_interval_s = 90: must be in [1, 60]"));
}

TEST(ConfigValidateTest, DeliveryTuningKeysAreChecked) {
  Config c;
  c.uplink.circuit_failure_threshold = 0;
  c.uplink.circuit_open_ms = 10'000;
  c.uplink.circuit_max_open_ms = 5'000;
  c.uplink.replay_max_records_per_s = -1;
  c.uplink.records_per_round = 20;  // below batch_max_size (50)
  c.uplink.max_in_flight = 17;
  EXPECT_THAT(
      Messages(c),
      ElementsAre("uplink.circuit_failure_threshold = 0: must be in [1, 1000]",
                  "uplink.circuit_max_open_ms = 5000: must be >= uplink.circuit_open_ms (10000)",
                  "uplink.replay_max_records_per_s = -1: must be in [0, 10000]",
                  "uplink.records_per_round = 20: must be >= uplink.batch_max_size (50): a round "
                  "must be able to fill a sync-offline batch",
                  "uplink.max_in_flight = 17: must be in [1, 16]"));
}

TEST(ConfigValidateTest, ALabelBothIgnoredAndMappedIsReported) {
  Config c;
  c.policy.ignored_labels = {"bottle"};
  EXPECT_THAT(Messages(c), ElementsAre(HasSubstr("policy.ignored_labels = \"bottle\"")));
}

TEST(ConfigValidateTest, PolicyTablesAreChecked) {
  Config c;
  c.policy.accept_threshold[Material::kGlass] = 1.5;
  c.policy.accepted_materials = {Material::kPet, Material::kPet};
  c.sessions.points[Material::kAluminium] = -1;
  EXPECT_THAT(Messages(c),
              ::testing::UnorderedElementsAre(
                  "policy.accept_threshold.glass = 1.5: must be in [0, 1]",
                  "policy.accepted_materials = \"pet\": is listed twice",
                  "sessions.points.aluminium = -1: must be in [0, 1000000]"));
}

TEST(ConfigValidateTest, AnEmptyLabelMapIsRejected) {
  Config c;
  c.policy.label_materials.clear();
  EXPECT_THAT(Messages(c), ElementsAre("policy.labels = {}: must map at least one label"));
}

}  // namespace
}  // namespace rvm
