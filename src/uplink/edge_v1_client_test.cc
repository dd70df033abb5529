#include "uplink/edge_v1_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "base/sha256.h"
#include "platform_sim/platform_sim.h"
#include "uplink/placeholder_jpeg.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using nlohmann::json;
using testing::DepositRecord;
using testing::FakeJpeg;
using testing::SessionRecord;
using testing::SimOptions;

class EdgeV1ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { StartSim({}); }

  void StartSim(sim::PlatformSimOptions options) {
    client_.reset();
    sim_.reset();
    sim_ = std::make_unique<sim::PlatformSim>(std::move(options));
    auto port = sim_->Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    auto c = EdgeV1Client::Create(Options(), SteadyClock::Instance());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
  }

  virtual PlatformClientOptions Options() { return SimOptions(sim_->base_url()); }

  std::unique_ptr<sim::PlatformSim> sim_;
  std::unique_ptr<EdgeV1Client> client_;
};

TEST_F(EdgeV1ClientTest, RegisterHandshakesWithTheMachineKey) {
  EXPECT_TRUE(client_->Register().ok());
  EXPECT_EQ(sim_->Stats()["requests"]["by_route"]["POST /api/v1/edge/handshake"]["200"], 1);
}

TEST_F(EdgeV1ClientTest, ADepositArrivesWithItsImageDataStatusAndIdempotencyKey) {
  const auto rec = DepositRecord(1, "item-0001", "sess-9");
  const auto jpeg = FakeJpeg(2048);
  const OutgoingRecord out{&rec, jpeg};
  const auto outcomes = client_->SendDeposits({&out, 1});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::kDelivered) << outcomes[0].message;

  const json deposits = sim_->Deposits();
  ASSERT_EQ(deposits.size(), 1u);
  EXPECT_EQ(deposits[0]["item_id"], "item-0001");
  const json& p = deposits[0]["payload"];
  EXPECT_EQ(p["status"], "ACCEPTED");
  EXPECT_EQ(p["session_id"], "sess-9");
  EXPECT_EQ(p["data"]["item_id"], "item-0001");
  EXPECT_EQ(p["data"]["label"], "pet_bottle");
  EXPECT_EQ(p["image"]["size"], 2048);
  EXPECT_EQ(p["image"]["sha256"], Sha256Hex(std::string(jpeg.begin(), jpeg.end())));
}

TEST_F(EdgeV1ClientTest, ResendingADepositIsAbsorbedByTheServersDedupe) {
  const auto rec = DepositRecord(1, "item-dup");
  const OutgoingRecord out{&rec, FakeJpeg()};
  EXPECT_EQ(client_->SendDeposits({&out, 1})[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(client_->SendDeposits({&out, 1})[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  EXPECT_EQ(sim_->Stats()["duplicates"]["deposits"], 1);
}

TEST_F(EdgeV1ClientTest, ADepositWithoutEvidenceSendsAPlaceholderAndSaysSo) {
  const auto rec = DepositRecord(1, "item-noimg");
  const OutgoingRecord out{&rec, {}};
  ASSERT_EQ(client_->SendDeposits({&out, 1})[0].kind, OutcomeKind::kDelivered);
  const json p = sim_->Deposits()[0]["payload"];
  EXPECT_EQ(p["data"]["evidence"], "unavailable");
  EXPECT_EQ(p["image"]["size"], PlaceholderJpeg().size());
  EXPECT_EQ(p["image"]["type"], "jpeg");
}

TEST_F(EdgeV1ClientTest, AnUnparseablePayloadIsParkedWithoutARequest) {
  auto rec = DepositRecord(1, "item-bad");
  rec.payload_json = "not json";
  const OutgoingRecord out{&rec, FakeJpeg()};
  const auto o = client_->SendDeposits({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kPark);
  EXPECT_NE(o.message.find("item-bad"), std::string::npos);
  EXPECT_EQ(client_->stats().api_calls, 0);
}

TEST_F(EdgeV1ClientTest, ManyDepositsShareOnePooledConnection) {
  std::vector<outbox::StoredRecord> recs;
  for (int i = 0; i < 40; ++i) recs.push_back(DepositRecord(i + 1, "item-" + std::to_string(i)));
  std::vector<OutgoingRecord> out;
  for (const auto& r : recs) out.push_back({&r, FakeJpeg()});
  for (const auto& o : client_->SendDeposits(out)) EXPECT_EQ(o.kind, OutcomeKind::kDelivered);
  EXPECT_EQ(client_->stats().api_calls, 40);
  EXPECT_EQ(client_->stats().connections_opened, 1);
  EXPECT_EQ(sim_->Stats()["connections"]["with_api_requests"], 1);
}

// Position of each item in the platform's books.
std::map<std::string, size_t> BookPositions(sim::PlatformSim& sim) {
  std::map<std::string, size_t> pos;
  const json deposits = sim.Deposits();
  for (size_t i = 0; i < deposits.size(); ++i) pos[deposits[i]["item_id"]] = i;
  return pos;
}

TEST_F(EdgeV1ClientTest, AWindowOfDepositsArrivesWithEachAfterTheOneAWindowEarlier) {
  constexpr int kRecords = 60;
  constexpr int kWindow = 8;
  std::vector<outbox::StoredRecord> recs;
  for (int i = 0; i < kRecords; ++i) {
    recs.push_back(DepositRecord(i + 1, "win-" + std::to_string(100 + i)));
  }
  std::vector<OutgoingRecord> out;
  for (const auto& r : recs) out.push_back({&r, FakeJpeg()});
  for (const auto& o : client_->SendDeposits(out, kWindow)) {
    EXPECT_EQ(o.kind, OutcomeKind::kDelivered) << o.message;
  }
  EXPECT_EQ(client_->stats().api_calls, kRecords);
  EXPECT_LE(client_->stats().connections_opened, kWindow);
  const auto pos = BookPositions(*sim_);
  ASSERT_EQ(pos.size(), static_cast<size_t>(kRecords));
  // Record n is sent only after record n - kWindow was answered.
  for (int n = kWindow; n < kRecords; ++n) {
    EXPECT_LT(pos.at(recs[n - kWindow].item_id), pos.at(recs[n].item_id)) << n;
  }
}

TEST_F(EdgeV1ClientTest, AFailingWindowStartsNothingAfterTheRequestsInFlight) {
  sim::FaultSettings f;
  f.error.rate = 1;  // every deposit gets a 5xx
  sim_->SetFaults(f);
  std::vector<outbox::StoredRecord> recs;
  for (int i = 0; i < 10; ++i) recs.push_back(DepositRecord(i + 1, "f-" + std::to_string(i)));
  std::vector<OutgoingRecord> out;
  for (const auto& r : recs) out.push_back({&r, FakeJpeg()});
  const auto o = client_->SendDeposits(out, 4);
  EXPECT_EQ(o[0].kind, OutcomeKind::kRetry);
  for (size_t i = 1; i < o.size(); ++i) EXPECT_EQ(o[i].kind, OutcomeKind::kNotSent) << i;
  // The first window went out; its failures stopped the rest.
  EXPECT_EQ(client_->stats().api_calls, 4);
}

TEST_F(EdgeV1ClientTest, AcknowledgementsAfterAFailureInTheWindowStillCount) {
  sim::FaultSettings f;
  f.error.next = 1;  // whichever deposit arrives first fails
  sim_->SetFaults(f);
  std::vector<outbox::StoredRecord> recs;
  for (int i = 0; i < 8; ++i) recs.push_back(DepositRecord(i + 1, "g-" + std::to_string(i)));
  std::vector<OutgoingRecord> out;
  for (const auto& r : recs) out.push_back({&r, FakeJpeg()});
  const auto o = client_->SendDeposits(out, 4);
  const auto first_retry = std::find_if(
      o.begin(), o.end(), [](const SendOutcome& x) { return x.kind == OutcomeKind::kRetry; });
  ASSERT_NE(first_retry, o.end());
  EXPECT_EQ(std::count_if(o.begin(), o.end(),
                          [](const SendOutcome& x) { return x.kind == OutcomeKind::kRetry; }),
            1);
  // Every record reported delivered is in the books; nothing past the window went out.
  const auto pos = BookPositions(*sim_);
  for (size_t i = 0; i < o.size(); ++i) {
    EXPECT_EQ(o[i].kind == OutcomeKind::kDelivered, pos.contains(recs[i].item_id)) << i;
    if (static_cast<int>(i) >= (first_retry - o.begin()) + 4) {
      EXPECT_EQ(o[i].kind, OutcomeKind::kNotSent) << i;
    }
  }
}

TEST_F(EdgeV1ClientTest, SessionsGoAsOneSyncOfflineBatch) {
  std::vector<outbox::StoredRecord> recs = {
      SessionRecord(1, "sess-a", 2), SessionRecord(2, "sess-b", 1), SessionRecord(3, "sess-c", 3)};
  std::vector<OutgoingRecord> out;
  for (const auto& r : recs) out.push_back({&r, {}});
  for (const auto& o : client_->SendSessions(out)) {
    EXPECT_EQ(o.kind, OutcomeKind::kDelivered) << o.message;
  }
  EXPECT_EQ(client_->stats().api_calls, 1);
  const json txns = sim_->Transactions();
  ASSERT_EQ(txns.size(), 3u);
  EXPECT_EQ(txns[0]["session_id"], "sess-a");
  EXPECT_EQ(txns[2]["session_id"], "sess-c");
  EXPECT_EQ(txns[2]["items"].size(), 3u);
}

TEST_F(EdgeV1ClientTest, ASessionWithoutAcceptedItemsIsSkipped) {
  const auto rec = SessionRecord(1, "sess-empty", 0);
  const OutgoingRecord out{&rec, {}};
  const auto o = client_->SendSessions({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kDelivered);
  EXPECT_TRUE(o.skipped);
  EXPECT_EQ(client_->stats().api_calls, 0);
}

TEST_F(EdgeV1ClientTest, AnUnreachableServerIsARetryAndLaterRecordsAreNotSent) {
  sim_->Stop();
  std::vector<outbox::StoredRecord> recs = {DepositRecord(1, "a"), DepositRecord(2, "b")};
  std::vector<OutgoingRecord> out = {{&recs[0], FakeJpeg()}, {&recs[1], FakeJpeg()}};
  const auto o = client_->SendDeposits(out);
  EXPECT_EQ(o[0].kind, OutcomeKind::kRetry);
  EXPECT_NE(o[0].message.find("no response"), std::string::npos);
  EXPECT_EQ(o[1].kind, OutcomeKind::kNotSent);
}

TEST_F(EdgeV1ClientTest, HeartbeatReturnsQueuedCommandsOnce) {
  ASSERT_TRUE(sim_->QueueCommand(1, "RESTART").ok());
  auto reply = client_->Heartbeat({});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  ASSERT_EQ(reply->commands.size(), 1u);
  EXPECT_EQ(reply->commands[0]["action"], "RESTART");
  auto again = client_->Heartbeat({});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->commands.empty());
}

TEST_F(EdgeV1ClientTest, AHeartbeatRefusedWith403IsNotAuthorisedRatherThanAFailure) {
  ASSERT_TRUE(sim_->store().SetMachineStatus(1, "blocked").ok());
  auto reply = client_->Heartbeat({});
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_TRUE(reply->not_authorised);
  EXPECT_NE(reply->message.find("HTTP 403"), std::string::npos) << reply->message;
  EXPECT_TRUE(reply->commands.empty());
}

TEST_F(EdgeV1ClientTest, ARotatedKeyIsAnAuthFailureThatKeepsTheRecord) {
  auto options = SimOptions(sim_->base_url());
  options.api_key = "rotated-key";
  auto c = EdgeV1Client::Create(options, SteadyClock::Instance());
  ASSERT_TRUE(c.ok());
  const auto rec = DepositRecord(1, "item-key");
  const OutgoingRecord out{&rec, FakeJpeg()};
  const auto o = (*c)->SendDeposits({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kRetry);
  EXPECT_TRUE(o.auth_failure);
  EXPECT_NE(o.message.find("INVALID_API_KEY"), std::string::npos);
}

TEST(EdgeV1ClientOptionsTest, MissingSettingsAreRefusedByName) {
  auto o = SimOptions("");
  EXPECT_NE(
      EdgeV1Client::Create(o, SteadyClock::Instance()).status().message().find("uplink.base_url"),
      std::string::npos);
  o = SimOptions("http://127.0.0.1:1");
  o.api_key.clear();
  EXPECT_NE(
      EdgeV1Client::Create(o, SteadyClock::Instance()).status().message().find("uplink.api_key"),
      std::string::npos);
}

class EdgeV1BearerSyncTest : public EdgeV1ClientTest {
 protected:
  void SetUp() override { StartBearerSim(sim::PlatformSimOptions().unknown_user_error); }
  // The dev-server variant, reporting a row skipped for an unknown user in these words.
  void StartBearerSim(const std::string& unknown_user_error) {
    sim::PlatformSimOptions o;
    o.sync_offline_auth = sim::SyncOfflineAuth::kBearer;
    o.unknown_user_error = unknown_user_error;
    StartSim(o);
  }
  PlatformClientOptions Options() override {
    auto o = SimOptions(sim_->base_url());
    o.sync_offline_bearer = true;
    return o;
  }
};

TEST_F(EdgeV1BearerSyncTest, LogsInAndSendsTheMachineIdHeader) {
  const auto rec = SessionRecord(1, "sess-b1", 2, /*user_id=*/1);
  const OutgoingRecord out{&rec, {}};
  const auto o = client_->SendSessions({&out, 1})[0];
  EXPECT_EQ(o.kind, OutcomeKind::kDelivered) << o.message;
  EXPECT_EQ(client_->stats().logins, 1);
  ASSERT_EQ(sim_->Transactions().size(), 1u);
  EXPECT_EQ(sim_->Transactions()[0]["variant"], "bearer");
}

TEST_F(EdgeV1BearerSyncTest, ARevokedTokenIsReplacedByOneFreshLogin) {
  const auto first = SessionRecord(1, "sess-r1", 1, 1);
  const OutgoingRecord a{&first, {}};
  ASSERT_EQ(client_->SendSessions({&a, 1})[0].kind, OutcomeKind::kDelivered);
  sim_->ExpireTokens();
  const auto second = SessionRecord(2, "sess-r2", 1, 1);
  const OutgoingRecord b{&second, {}};
  EXPECT_EQ(client_->SendSessions({&b, 1})[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(client_->stats().logins, 2);
}

TEST_F(EdgeV1BearerSyncTest, RowsTheServerSkipsAreParkedAndTheOthersDelivered) {
  std::vector<outbox::StoredRecord> recs = {SessionRecord(1, "sess-ok", 1, 1),
                                            SessionRecord(2, "sess-ghost", 1, 999)};
  std::vector<OutgoingRecord> out = {{&recs[0], {}}, {&recs[1], {}}};
  const auto o = client_->SendSessions(out);
  EXPECT_EQ(o[0].kind, OutcomeKind::kDelivered);
  EXPECT_EQ(o[1].kind, OutcomeKind::kPark);
  EXPECT_NE(o[1].message.find("999"), std::string::npos);
}

TEST_F(EdgeV1BearerSyncTest, AnErrorNamingOnlyTheUserParksThatUsersRows) {
  StartBearerSim("User not found: {user}");
  std::vector<outbox::StoredRecord> recs = {SessionRecord(1, "sess-1", 1, 1),
                                            SessionRecord(2, "sess-999", 1, 999),
                                            SessionRecord(3, "sess-9", 1, 999)};
  std::vector<OutgoingRecord> out = {{&recs[0], {}}, {&recs[1], {}}, {&recs[2], {}}};
  const auto o2 = client_->SendSessions(out);
  EXPECT_EQ(o2[0].kind, OutcomeKind::kDelivered) << o2[0].message;
  EXPECT_EQ(o2[1].kind, OutcomeKind::kPark);
  EXPECT_EQ(o2[1].message, "sync-offline: User not found: 999");
  EXPECT_EQ(o2[2].kind, OutcomeKind::kPark);
  ASSERT_EQ(sim_->Transactions().size(), 1u);
  EXPECT_EQ(sim_->Transactions()[0]["session_id"], "sess-1");
}

TEST_F(EdgeV1BearerSyncTest, AnErrorNamingNoRowParksTheWholeBatchRatherThanMarkItDelivered) {
  StartBearerSim("Transaction skipped: unknown account");
  std::vector<outbox::StoredRecord> recs = {SessionRecord(1, "sess-a1", 1, 1),
                                            SessionRecord(2, "sess-a2", 1, 999)};
  std::vector<OutgoingRecord> out = {{&recs[0], {}}, {&recs[1], {}}};
  const auto o2 = client_->SendSessions(out);
  for (const SendOutcome& x : o2) {
    EXPECT_EQ(x.kind, OutcomeKind::kPark) << x.message;
    EXPECT_NE(x.message.find("synced_count 1 for 2 sessions"), std::string::npos) << x.message;
    EXPECT_NE(x.message.find("an error naming no session sent: Transaction skipped"),
              std::string::npos)
        << x.message;
  }
  // Resent (as `outbox replay` does), the session the platform has is skipped
  // there, not credited twice.
  client_->SendSessions(out);
  EXPECT_EQ(sim_->Transactions().size(), 1u);
  EXPECT_EQ(sim_->Stats()["duplicates"]["transactions"], 1) << sim_->Stats().dump();
}

TEST(TieSyncErrorsTest, AnErrorIsTiedBySessionIdElseByAWholeNumberUserId) {
  const std::vector<std::string> sessions = {"s-1", "s-10", "guest-7", ""};
  const std::vector<int64_t> users = {5, 12, -1, 12};
  SyncErrorTies t = TieSyncErrors({"User ID 5 not found for session s-10"}, sessions, users);
  EXPECT_EQ(t.error_of,
            (std::vector<std::string>{"", "User ID 5 not found for session s-10", "", ""}))
      << "the session it names, not the user's other rows, nor s-1 inside s-10";
  EXPECT_TRUE(t.untied.empty());
  t = TieSyncErrors({"User not found: -1", "user 12 unknown"}, sessions, users);
  EXPECT_EQ(t.error_of, (std::vector<std::string>{"", "user 12 unknown", "User not found: -1",
                                                  "user 12 unknown"}));
  // Numbers inside words are not user ids; an error that names nothing is untied.
  t = TieSyncErrors({"row v5 failed", "guest-7x", "Skipped 12abc"}, sessions, users);
  EXPECT_EQ(t.error_of, (std::vector<std::string>(4, "")));
  EXPECT_EQ(t.untied.size(), 3u);
}

TEST_F(EdgeV1BearerSyncTest, AValidationErrorParksOnlyTheRowItNames) {
  std::vector<outbox::StoredRecord> recs = {SessionRecord(1, "sess-v1", 1, 1),
                                            SessionRecord(2, "sess-v2", 1, 1)};
  // A user id the server cannot read as an integer fails validation on row 1.
  auto j = json::parse(recs[1].payload_json);
  j["user_id"] = "not-a-number";
  recs[1].payload_json = j.dump();
  std::vector<OutgoingRecord> out = {{&recs[0], {}}, {&recs[1], {}}};
  const auto o = client_->SendSessions(out);
  EXPECT_EQ(o[0].kind, OutcomeKind::kNotSent);
  EXPECT_EQ(o[1].kind, OutcomeKind::kPark);
  EXPECT_NE(o[1].message.find("transactions.1.user_id"), std::string::npos) << o[1].message;
}

}  // namespace
}  // namespace rvm::uplink
