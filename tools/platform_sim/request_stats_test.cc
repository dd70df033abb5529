#include "platform_sim/request_stats.h"

#include <gtest/gtest.h>

namespace rvm::sim {
namespace {

TEST(RequestStatsTest, CountsResponsesByRouteAndStatus) {
  RequestStats s;
  s.CountResponse("POST /a", 201);
  s.CountResponse("POST /a", 201);
  s.CountResponse("POST /a", 422);
  s.CountResponse("POST /b", 401);
  s.CountResponse("POST /b", 0);
  EXPECT_EQ(s.requests_total(), 5);
  EXPECT_EQ(s.Count("POST /a", 201), 2);
  const auto j = s.ToJson();
  EXPECT_EQ(j["requests"]["by_route"]["POST /a"]["422"], 1);
  EXPECT_EQ(j["requests"]["by_route"]["POST /b"]["reset"], 1);
  EXPECT_EQ(j["validation_failures"]["total"], 1);
  EXPECT_EQ(j["validation_failures"]["by_route"]["POST /a"], 1);
  EXPECT_EQ(j["auth_failures"]["total"], 1);
  EXPECT_EQ(j["connections"]["reset_by_sim"], 1);
}

TEST(RequestStatsTest, ConnectionCountersTrackOpenAndApiConnections) {
  RequestStats s;
  s.ConnectionOpened();
  s.ConnectionOpened();
  s.ApiConnectionSeen();
  s.ConnectionClosed();
  const auto j = s.ToJson();
  EXPECT_EQ(j["connections"]["accepted"], 2);
  EXPECT_EQ(j["connections"]["open"], 1);
  EXPECT_EQ(j["connections"]["with_api_requests"], 1);
}

TEST(RequestStatsTest, ResetClearsRequestsButNotConnections) {
  RequestStats s;
  s.ConnectionOpened();
  s.CountResponse("POST /a", 200);
  s.ResetRequests();
  EXPECT_EQ(s.requests_total(), 0);
  EXPECT_EQ(s.connections_accepted(), 1);
}

}  // namespace
}  // namespace rvm::sim
