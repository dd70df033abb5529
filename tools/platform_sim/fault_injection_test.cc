// The sim's injected faults, seen from a real HTTP client on loopback.
#include <gtest/gtest.h>

#include <chrono>

#include "platform_sim/platform_sim.h"
#include "platform_sim/sim_test_util.h"

namespace rvm::sim {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

class FaultInjectionTest : public SimTest {
 protected:
  void SetFaults(const json& settings) {
    auto r = client().Post("/sim/faults", settings.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  int64_t Injected(const std::string& kind) {
    return sim_->Stats()["faults_injected"].value(kind, int64_t{0});
  }
};

TEST_F(FaultInjectionTest, LatencyDelaysEveryApiResponse) {
  SetFaults({{"latency_ms", 150}});
  const auto start = steady_clock::now();
  auto r = PostDeposit("slow");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_GE(steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(Injected("latency"), 1);
}

TEST_F(FaultInjectionTest, ErrorsAre500And503WithoutStoringTheRecord) {
  SetFaults({{"error_next", 2}});
  auto a = PostDeposit("x");
  auto b = PostDeposit("x");
  auto c = PostDeposit("x");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->status, 500);
  EXPECT_EQ(b->status, 503);
  EXPECT_EQ(c->status, 201);
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  EXPECT_EQ(sim_->Stats()["duplicates"]["deposits"], 0);
  EXPECT_EQ(Injected("error"), 2);
}

TEST_F(FaultInjectionTest, RateLimitIs429WithRetryAfter) {
  SetFaults({{"rate_limit_next", 1}, {"retry_after_s", 17}});
  auto r = PostDeposit("x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->get_header_value("Retry-After"), "17");
  EXPECT_EQ(Json(r)["message"], "Too Many Attempts.");
  EXPECT_EQ(sim_->Deposits().size(), 0u);
}

TEST_F(FaultInjectionTest, ExpiredTokensAre401UntilTheClientLogsInAgain) {
  const std::string body =
      R"({"rvm_id":1,"image_path":"x","detections":[{"class":"can","confidence":0.5,"bbox":[0,0,1,1]}]})";
  const std::string old_token = LoginV2();
  SetFaults({{"expire_tokens", true}});
  httplib::Headers h = {{"Accept", "application/json"}, {"Authorization", "Bearer " + old_token}};
  auto r = client().Post("/api/v2/detection-results", h, body, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  h = {{"Accept", "application/json"}, {"Authorization", "Bearer " + LoginV2()}};
  auto again = client().Post("/api/v2/detection-results", h, body, "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 201);
  EXPECT_EQ(Injected("tokens_revoked"), 1);
}

TEST_F(FaultInjectionTest, ResetDropsTheConnectionAndTheRetryMeetsTheDedupe) {
  SetFaults({{"reset_next", 1}});
  auto lost = PostDeposit("item-r");
  EXPECT_FALSE(lost);  // no response at all
  // The request was processed before the reset, so the retry is a duplicate.
  EXPECT_EQ(sim_->Deposits().size(), 1u);
  auto retry = PostDeposit("item-r");
  ASSERT_TRUE(retry) << httplib::to_string(retry.error());
  EXPECT_EQ(retry->status, 201);
  EXPECT_EQ(retry->get_header_value("X-Sim-Duplicate"), "true");
  const json stats = sim_->Stats();
  EXPECT_EQ(stats["faults_injected"]["reset"], 1);
  EXPECT_EQ(stats["connections"]["reset_by_sim"], 1);
  EXPECT_EQ(stats["duplicates"]["deposits"], 1);
}

TEST_F(FaultInjectionTest, ResetBeforeProcessingStoresNothing) {
  SetFaults({{"reset_next", 1}, {"process_before_fault", false}});
  EXPECT_FALSE(PostDeposit("item-r"));
  EXPECT_EQ(sim_->Deposits().size(), 0u);
}

TEST_F(FaultInjectionTest, HungResponseOutlastsTheClientTimeout) {
  SetFaults({{"hang_next", 1}, {"hang_ms", 3000}});
  client().set_read_timeout(0, 300'000);
  const auto start = steady_clock::now();
  auto r = PostDeposit("item-h");
  EXPECT_FALSE(r);
  EXPECT_LT(steady_clock::now() - start, std::chrono::milliseconds(2500));
  EXPECT_EQ(Injected("hang"), 1);
  EXPECT_EQ(sim_->Deposits().size(), 1u);
}

TEST_F(FaultInjectionTest, StopCutsAHungResponseShort) {
  SetFaults({{"hang_next", 1}, {"hang_ms", 60'000}});
  client().set_read_timeout(0, 200'000);
  EXPECT_FALSE(PostDeposit("item-h"));
  client_.reset();
  const auto start = steady_clock::now();
  sim_->Stop();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(FaultInjectionTest, MalformedJsonIsA200ThatDoesNotParseButTheRecordIsStored) {
  SetFaults({{"malformed_json_next", 1}});
  auto r = PostDeposit("item-m");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_TRUE(json::parse(r->body, nullptr, false).is_discarded());
  EXPECT_EQ(sim_->Deposits().size(), 1u);
}

TEST_F(FaultInjectionTest, HtmlBodyComesWithTextHtmlAndTheConfiguredStatus) {
  SetFaults({{"html_body_next", 1}, {"html_status", 500}});
  auto r = PostDeposit("item-html");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->get_header_value("Content-Type").find("text/html"), std::string::npos);
  EXPECT_NE(r->body.find("<html>"), std::string::npos);
  EXPECT_EQ(sim_->Deposits().size(), 0u);
}

TEST_F(FaultInjectionTest, ControlEndpointsAreNeverFaulted) {
  SetFaults({{"error_rate", 1.0}});
  auto stats = client().Get("/sim/stats");
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->status, 200);
  auto r = PostDeposit("x");
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 500);
}

TEST_F(FaultInjectionTest, PathFilterConfinesFaultsToMatchingRoutes) {
  SetFaults({{"error_rate", 1.0}, {"path_filter", "/edge/deposit"}});
  auto beat = client().Post("/api/v1/edge/heartbeat", KeyHeaders(), "{}", "application/json");
  ASSERT_TRUE(beat);
  EXPECT_EQ(beat->status, 200);
  auto dep = PostDeposit("x");
  ASSERT_TRUE(dep);
  EXPECT_GE(dep->status, 500);
}

TEST_F(FaultInjectionTest, SettingsReadBackAndClear) {
  SetFaults({{"error_rate", 0.5}, {"seed", 3}});
  auto got = client().Get("/sim/faults");
  ASSERT_TRUE(got);
  EXPECT_DOUBLE_EQ(Json(got)["error_rate"].get<double>(), 0.5);
  SetFaults({{"clear", true}});
  EXPECT_DOUBLE_EQ(Json(client().Get("/sim/faults"))["error_rate"].get<double>(), 0.0);
}

TEST_F(FaultInjectionTest, BadFaultSettingsAre400NamingTheKey) {
  auto r = client().Post("/sim/faults", R"({"latency":5})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Json(r)["error"].get<std::string>().find("'latency'"), std::string::npos);
}

TEST_F(FaultInjectionTest, FaultsGivenAtStartApply) {
  PlatformSim::Options options;
  options.faults.rate_limit.next = 1;
  StartSim(options);
  auto r = PostDeposit("x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
}

TEST_F(FaultInjectionTest, SeededErrorRateGivesTheSameSequenceEachRun) {
  auto run = [&] {
    SetFaults({{"clear", true}, {"error_rate", 0.5}, {"seed", 11}, {"error_status", 503}});
    std::string statuses;
    for (int i = 0; i < 16; ++i) {
      auto r = client().Post("/api/v2/rvms/1/metrics", "{}", "application/json");
      statuses += r ? std::to_string(r->status) + "," : "x,";
    }
    return statuses;
  };
  const std::string first = run();
  EXPECT_EQ(first, run());
  EXPECT_NE(first.find("503"), std::string::npos);
  EXPECT_NE(first.find("200"), std::string::npos);
}

}  // namespace
}  // namespace rvm::sim
