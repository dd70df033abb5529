#include "uplink/v2_client.h"

#include <gtest/gtest.h>

#include "platform_sim/platform_sim.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using nlohmann::json;
using testing::DepositRecord;
using testing::FakeJpeg;
using testing::SessionRecord;
using testing::SimOptions;

class V2ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<sim::PlatformSim>(sim::PlatformSimOptions{});
    ASSERT_TRUE(sim_->Start().ok());
    auto c = V2Client::Create(SimOptions(sim_->base_url()), SteadyClock::Instance());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
  }
  json Records(sim::RecordKind kind) { return sim_->store().ListRecords(kind); }

  std::unique_ptr<sim::PlatformSim> sim_;
  std::unique_ptr<V2Client> client_;
};

TEST_F(V2ClientTest, RegisterClaimsTheMachineWithItsKey) {
  EXPECT_TRUE(client_->Register().ok());
  EXPECT_EQ(sim_->Stats()["requests"]["by_route"]["POST /api/v2/rvm/self/claim"]["200"], 1);
}

TEST_F(V2ClientTest, ADepositUploadsTheImageThenPostsTheDetectionWithItsPath) {
  const auto rec = DepositRecord(1, "item-v2", "sess-1");
  const OutgoingRecord out{&rec, FakeJpeg(1000)};
  const auto o = client_->SendDeposits({&out, 1})[0];
  ASSERT_EQ(o.kind, OutcomeKind::kDelivered) << o.message;
  EXPECT_EQ(client_->stats().logins, 1);
  const json uploads = Records(sim::RecordKind::kUpload);
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0]["item_id"], "item-v2");
  EXPECT_EQ(uploads[0]["payload"]["metadata"]["session_id"], "sess-1");
  const json detections = Records(sim::RecordKind::kDetectionResult);
  ASSERT_EQ(detections.size(), 1u);
  const json& p = detections[0]["payload"];
  EXPECT_EQ(detections[0]["item_id"], "item-v2");
  EXPECT_EQ(p["detections"][0]["class"], "pet_bottle");
  EXPECT_EQ(p["detections"][0]["bbox"].size(), 4u);
  EXPECT_EQ(p["image_path"].get<std::string>().rfind("detection-images/", 0), 0u);
}

TEST_F(V2ClientTest, ADepositWithoutEvidenceSkipsTheUpload) {
  const auto rec = DepositRecord(1, "item-noimg");
  const OutgoingRecord out{&rec, {}};
  ASSERT_EQ(client_->SendDeposits({&out, 1})[0].kind, OutcomeKind::kDelivered);
  EXPECT_TRUE(Records(sim::RecordKind::kUpload).empty());
  EXPECT_EQ(Records(sim::RecordKind::kDetectionResult)[0]["payload"]["image_path"], "unavailable");
}

TEST_F(V2ClientTest, ARevokedTokenIsReplacedByOneFreshLogin) {
  const auto a = DepositRecord(1, "item-a");
  const OutgoingRecord oa{&a, FakeJpeg()};
  ASSERT_EQ(client_->SendDeposits({&oa, 1})[0].kind, OutcomeKind::kDelivered);
  sim_->ExpireTokens();
  const auto b = DepositRecord(2, "item-b");
  const OutgoingRecord ob{&b, FakeJpeg()};
  EXPECT_EQ(client_->SendDeposits({&ob, 1})[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(client_->stats().logins, 2);
}

TEST_F(V2ClientTest, RefusedCredentialsAreAnAuthFailureNotAPark) {
  auto options = SimOptions(sim_->base_url());
  options.password = "wrong-password";
  auto c = V2Client::Create(options, SteadyClock::Instance());
  ASSERT_TRUE(c.ok());
  const auto rec = DepositRecord(1, "item-auth");
  const OutgoingRecord out{&rec, FakeJpeg()};
  const auto o = (*c)->SendDeposits({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kRetry);
  EXPECT_TRUE(o.auth_failure);
  EXPECT_NE(o.message.find("Invalid credentials"), std::string::npos) << o.message;
}

TEST_F(V2ClientTest, SessionsAreNotSentBecauseV2HasNoTransactionEndpoint) {
  const auto rec = SessionRecord(1, "sess-v2", 2);
  const OutgoingRecord out{&rec, {}};
  const auto o = client_->SendSessions({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kDelivered);
  EXPECT_TRUE(o.skipped);
  EXPECT_EQ(client_->stats().api_calls, 0);
}

TEST_F(V2ClientTest, HeartbeatPostsMetrics) {
  EXPECT_TRUE(client_->Heartbeat({}).ok());
  EXPECT_EQ(Records(sim::RecordKind::kMetrics).size(), 1u);
}

TEST_F(V2ClientTest, HeartbeatMapsHealthOntoTheMetricsFieldsTheServerStores) {
  HeartbeatInfo info;
  info.version = "1.2.3";
  info.health = {{"cpu_usage_percent", 12.5}, {"memory_usage_percent", 40.0},
                 {"cpu_temperature", 51.0},   {"uptime_s", 120.0},
                 {"items_decided", 7},        {"backlog_records", 3}};
  ASSERT_TRUE(client_->Heartbeat(info).ok());
  const auto rows = Records(sim::RecordKind::kMetrics);
  ASSERT_EQ(rows.size(), 1u);
  const auto& p = rows[0]["payload"];
  EXPECT_EQ(p["system_metrics"],
            (nlohmann::json{{"cpu_usage", 12.5}, {"memory_usage", 40.0}, {"temperature", 51.0}}));
  EXPECT_EQ(p["application_metrics"]["software_version"], "1.2.3");
  EXPECT_EQ(p["application_metrics"]["uptime_seconds"], 120.0);
  EXPECT_EQ(p["application_metrics"]["deposit_count_since_restart"], 7);
}

TEST_F(V2ClientTest, AnUptimeTheServerCannotStoreIsLeftOut) {
  HeartbeatInfo info;
  info.health = {{"uptime_s", 10000.0}};
  ASSERT_TRUE(client_->Heartbeat(info).ok());
  const auto rows = Records(sim::RecordKind::kMetrics);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_FALSE(rows[0]["payload"]["application_metrics"].contains("uptime_seconds"));
}

TEST(V2ClientOptionsTest, AMachineIdIsRequired) {
  auto o = SimOptions("http://127.0.0.1:1");
  o.machine_id = 0;
  EXPECT_NE(
      V2Client::Create(o, SteadyClock::Instance()).status().message().find("uplink.machine_id"),
      std::string::npos);
}

}  // namespace
}  // namespace rvm::uplink
