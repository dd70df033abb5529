#include "platform_sim/platform_sim.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "platform_sim/sim_test_util.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

class PlatformSimTest : public SimTest {};

TEST_F(PlatformSimTest, AKeepAliveClientUsesOneConnectionForManyRequests) {
  for (int i = 0; i < 20; ++i) {
    auto r = PostDeposit("item-" + std::to_string(i));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201);
  }
  // A second client reads the stats, so it does not add an API connection.
  auto other = NewClient();
  auto stats = other->Get("/sim/stats");
  ASSERT_TRUE(stats);
  const json j = Json(stats);
  EXPECT_EQ(j["connections"]["with_api_requests"], 1);
  EXPECT_EQ(j["connections"]["accepted"], 2);
  EXPECT_EQ(j["requests"]["by_route"]["POST /api/v1/edge/deposit"]["201"], 20);
  EXPECT_EQ(j["requests"]["total"], 20);
}

TEST_F(PlatformSimTest, EachFreshClientIsCountedAsItsOwnConnection) {
  for (int i = 0; i < 3; ++i) {
    auto c = NewClient();
    c->set_keep_alive(false);
    ASSERT_TRUE(c->Post("/api/v2/rvms/1/metrics", "{}", "application/json"));
  }
  EXPECT_EQ(sim_->Stats()["connections"]["with_api_requests"], 3);
}

TEST_F(PlatformSimTest, StatsReportRequestsStoredRecordsDuplicatesAndFailures) {
  ASSERT_TRUE(PostDeposit("a"));
  ASSERT_TRUE(PostDeposit("a"));
  ASSERT_TRUE(client().Post("/api/v1/edge/heartbeat", KeyHeaders("bad"), "{}", "application/json"));
  ASSERT_TRUE(client().Post("/api/v1/edge/handshake", KeyHeaders(), "{}", "application/json"));
  const json j = sim_->Stats();
  EXPECT_EQ(j["stored"]["deposits"], 1);
  EXPECT_EQ(j["duplicates"]["deposits"], 1);
  EXPECT_EQ(j["duplicates"]["total"], 1);
  EXPECT_EQ(j["auth_failures"]["total"], 1);
  EXPECT_EQ(j["validation_failures"]["by_route"]["POST /api/v1/edge/handshake"], 1);
  EXPECT_EQ(j["requests"]["by_route"]["POST /api/v1/edge/deposit"]["201"], 2);
  EXPECT_TRUE(j["faults_injected"].is_object());
}

TEST_F(PlatformSimTest, DepositsListInArrivalOrderWithItemIds) {
  const std::vector<std::string> ids = {"0190-a", "0190-b", "0190-c"};
  for (const auto& id : ids) ASSERT_TRUE(PostDeposit(id));
  auto r = client().Get("/sim/deposits");
  ASSERT_TRUE(r);
  const json j = Json(r);
  ASSERT_EQ(j.size(), ids.size());
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(j[i]["item_id"], ids[i]);
  EXPECT_LT(j[0]["seq"].get<int64_t>(), j[2]["seq"].get<int64_t>());
}

TEST_F(PlatformSimTest, ConcurrentSendsOfOneItemStoreItOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto c = NewClient();
      httplib::MultipartFormDataItems items = {{"image", FakeJpeg(), "a.jpg", "image/jpeg"},
                                               {"status", "ACCEPTED", "", ""},
                                               {"data", R"({"item_id":"same"})", "", ""}};
      auto r = c->Post("/api/v1/edge/deposit", KeyHeaders(), items);
      if (r && r->status == 201) ++created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 8);
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  EXPECT_EQ(sim_->Stats()["duplicates"]["deposits"], 7);
}

TEST_F(PlatformSimTest, ResetClearsRecordsCountersAndKeys) {
  ASSERT_TRUE(PostDeposit("a"));
  auto r = client().Post("/sim/reset", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(sim_->Stats()["stored"]["deposits"], 0);
  EXPECT_EQ(sim_->Stats()["requests"]["total"], 0);
  ASSERT_TRUE(PostDeposit("a"));
  EXPECT_EQ(sim_->Stats()["duplicates"]["deposits"], 0);
}

TEST_F(PlatformSimTest, CommandsQueuedOverHttpShowAsDeliveredAfterAHeartbeat) {
  auto q =
      client().Post("/sim/commands", R"({"api_key":"sim-machine-key-0001","action":"RESTART"})",
                    "application/json");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->status, 201) << q->body;
  auto bad =
      client().Post("/sim/commands", R"({"machine_id":99,"action":"RESTART"})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(Json(bad)["error"].get<std::string>().find("machine 99"), std::string::npos);
  EXPECT_EQ(Json(client().Get("/sim/commands"))["commands"][0]["state"], "queued");
  ASSERT_TRUE(client().Post("/api/v1/edge/heartbeat", KeyHeaders(), "{}", "application/json"));
  EXPECT_EQ(Json(client().Get("/sim/commands"))["commands"][0]["state"], "delivered");
}

TEST_F(PlatformSimTest, TokensExpireAfterTheConfiguredTtl) {
  PlatformSim::Options options;
  options.token_ttl_ms = 60'000;
  StartSim(options);
  const std::string token = LoginV2();
  httplib::Headers h = {{"Accept", "application/json"}, {"Authorization", "Bearer " + token}};
  const std::string body =
      R"({"rvm_id":1,"image_path":"x","detections":[{"class":"can","confidence":0.5,"bbox":[0,0,1,1]}]})";
  auto before = client().Post("/api/v2/detection-results", h, body, "application/json");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 201);
  clock_.Advance(std::chrono::seconds(61));
  auto after = client().Post("/api/v2/detection-results", h, body, "application/json");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

TEST_F(PlatformSimTest, UnknownRoutesAreJson404) {
  auto r = client().Get("/api/v2/processing-history");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(Json(r)["message"].get<std::string>().find("could not be found"), std::string::npos);
}

TEST_F(PlatformSimTest, StartingOnABusyPortFailsNamingTheAddress) {
  PlatformSim::Options options;
  options.port = sim_->port();
  PlatformSim second(options);
  auto port = second.Start();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find(std::to_string(sim_->port())), std::string::npos);
}

TEST_F(PlatformSimTest, MachineStatusCanBeSetForBlockingTests) {
  auto r = client().Post("/sim/machines/1/status", R"({"status":"blocked"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto beat = client().Post("/api/v1/edge/heartbeat", KeyHeaders(), "{}", "application/json");
  ASSERT_TRUE(beat);
  EXPECT_EQ(beat->status, 403);
  auto missing =
      client().Post("/sim/machines/5/status", R"({"status":"online"})", "application/json");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

}  // namespace
}  // namespace rvm::sim
