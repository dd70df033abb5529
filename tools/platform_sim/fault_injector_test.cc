#include "platform_sim/fault_injector.h"

#include <gtest/gtest.h>

#include <vector>

namespace rvm::sim {
namespace {

using nlohmann::json;

TEST(FaultInjectorTest, NoSettingsInjectNothing) {
  FaultInjector f;
  for (int i = 0; i < 100; ++i) EXPECT_EQ(f.Decide("/api/v1/edge/deposit").kind, FaultKind::kNone);
  EXPECT_TRUE(f.InjectedCounts().empty());
}

TEST(FaultInjectorTest, NextCountHitsExactlyThatManyRequests) {
  FaultSettings s;
  s.rate_limit.next = 2;
  s.retry_after_s = 7;
  FaultInjector f(s);
  auto a = f.Decide("/x");
  auto b = f.Decide("/x");
  auto c = f.Decide("/x");
  EXPECT_EQ(a.kind, FaultKind::kRateLimit);
  EXPECT_EQ(a.retry_after_s, 7);
  EXPECT_EQ(b.kind, FaultKind::kRateLimit);
  EXPECT_EQ(c.kind, FaultKind::kNone);
  EXPECT_EQ(f.InjectedCounts()["rate_limit"], 2);
}

TEST(FaultInjectorTest, RateDecisionsRepeatForTheSameSeed) {
  FaultSettings s;
  s.error.rate = 0.3;
  s.seed = 42;
  auto run = [&] {
    FaultInjector f(s);
    std::vector<FaultKind> kinds;
    for (int i = 0; i < 200; ++i) kinds.push_back(f.Decide("/x").kind);
    return kinds;
  };
  const auto first = run();
  EXPECT_EQ(first, run());
  const auto hits = std::count(first.begin(), first.end(), FaultKind::kError);
  EXPECT_GT(hits, 30);
  EXPECT_LT(hits, 90);
}

TEST(FaultInjectorTest, ErrorsAlternate500And503UnlessAStatusIsSet) {
  FaultSettings s;
  s.error.next = 3;
  FaultInjector f(s);
  EXPECT_EQ(f.Decide("/x").status, 500);
  EXPECT_EQ(f.Decide("/x").status, 503);
  EXPECT_EQ(f.Decide("/x").status, 500);
  s.error_status = 503;
  f.Set(s);
  EXPECT_EQ(f.Decide("/x").status, 503);
}

TEST(FaultInjectorTest, OneFaultPerRequestInPrecedenceOrder) {
  FaultSettings s;
  s.reset.next = 1;
  s.malformed_json.next = 1;
  FaultInjector f(s);
  EXPECT_EQ(f.Decide("/x").kind, FaultKind::kReset);
  EXPECT_EQ(f.Decide("/x").kind, FaultKind::kMalformedJson);
  EXPECT_EQ(f.Decide("/x").kind, FaultKind::kNone);
}

TEST(FaultInjectorTest, PathFilterLimitsFaultsAndLatency) {
  FaultSettings s;
  s.latency_ms = 50;
  s.html_body.rate = 1.0;
  s.path_filter = "/edge/deposit";
  FaultInjector f(s);
  auto other = f.Decide("/api/v1/edge/heartbeat");
  EXPECT_EQ(other.kind, FaultKind::kNone);
  EXPECT_EQ(other.latency_ms, 0);
  auto hit = f.Decide("/api/v1/edge/deposit");
  EXPECT_EQ(hit.kind, FaultKind::kHtmlBody);
  EXPECT_EQ(hit.latency_ms, 50);
  EXPECT_EQ(hit.status, 200);
}

TEST(ParseFaultSettingsTest, ReadsEveryKeyAndKeepsTheRestFromBase) {
  FaultSettings base;
  base.latency_ms = 5;
  auto s = ParseFaultSettings(json{{"error_rate", 0.25},
                                   {"hang_next", 2},
                                   {"hang_ms", 100},
                                   {"retry_after_s", 3},
                                   {"process_before_fault", false},
                                   {"seed", 9},
                                   {"expire_tokens", true}},
                              base);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->latency_ms, 5);
  EXPECT_DOUBLE_EQ(s->error.rate, 0.25);
  EXPECT_EQ(s->hang.next, 2);
  EXPECT_EQ(s->hang_ms, 100);
  EXPECT_EQ(s->retry_after_s, 3);
  EXPECT_FALSE(s->process_before_fault);
  EXPECT_EQ(s->seed, 9u);
  // Round trip.
  auto again = ParseFaultSettings(FaultSettingsToJson(*s), FaultSettings{});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(FaultSettingsToJson(*again), FaultSettingsToJson(*s));
}

TEST(ParseFaultSettingsTest, BadKeysAndValuesAreNamedInTheError) {
  auto unknown = ParseFaultSettings(json{{"eror_rate", 0.1}}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'eror_rate': unknown setting"), std::string::npos);
  auto rate = ParseFaultSettings(json{{"error_rate", 1.5}}, {});
  ASSERT_FALSE(rate.ok());
  EXPECT_NE(rate.status().message().find("'error_rate'"), std::string::npos);
  auto status = ParseFaultSettings(json{{"error_status", 404}}, {});
  EXPECT_FALSE(status.ok());
  auto latency = ParseFaultSettings(json{{"latency_ms", "10"}}, {});
  EXPECT_FALSE(latency.ok());
  EXPECT_FALSE(ParseFaultSettings(json::array(), {}).ok());
}

}  // namespace
}  // namespace rvm::sim
