#include "admin/status_json.h"

#include <gtest/gtest.h>

#include "admin/fake_service_control.h"

namespace rvm::admin {
namespace {

TEST(ProbeMetricsJsonTest, ReadingsAreInPercentAndMissingOnesAreLeftOut) {
  SystemSample sys;
  sys.cpu_usage_ratio = 0.4567;
  sys.memory_total_bytes = 1000;
  sys.memory_available_bytes = 250;
  const auto j = ProbeMetricsJson(RealisticStatus(), sys, std::nullopt);
  EXPECT_DOUBLE_EQ(j["system_metrics"]["cpu_usage"].get<double>(), 45.7);
  EXPECT_DOUBLE_EQ(j["system_metrics"]["memory_usage"].get<double>(), 75.0);
  EXPECT_FALSE(j["system_metrics"].contains("gpu_usage"));
  EXPECT_FALSE(j["system_metrics"].contains("temperature"));
  EXPECT_TRUE(j["application_metrics"]["last_deposit_time"].is_null());
}

TEST(ProbeMetricsJsonTest, UptimeIsClampedBelowThePlatformColumnLimit) {
  ops::ServiceStatus s = RealisticStatus();
  s.uptime_s = 86'400;
  const auto j = ProbeMetricsJson(s, {}, 1'700'000'000'000);
  EXPECT_DOUBLE_EQ(j["application_metrics"]["uptime_seconds"].get<double>(),
                   kPlatformMaxUptimeSeconds);
  EXPECT_EQ(j["application_metrics"]["last_deposit_time"], "2023-11-14T22:13:20.000Z");
}

TEST(HealthCheckJsonTest, AFailingCheckMakesItDegraded) {
  ops::ServiceStatus s = RealisticStatus();
  const auto j = HealthCheckJson(s, {{"model", true, ""}, {"outbox", false, "full"}}, 0);
  EXPECT_EQ(j["status"], "degraded");
  EXPECT_EQ(j["checks"]["outbox"], false);
}

TEST(PulseJsonTest, AnOfflineServiceSaysSoForTheUplink) {
  ops::ServiceStatus s = RealisticStatus();
  s.delivery.reset();
  EXPECT_EQ(PulseJson(s, {}, 0)["services"]["uplink"], "offline");
  s = RealisticStatus();
  s.delivery->circuit = "open";
  EXPECT_EQ(PulseJson(s, {}, 0)["services"]["uplink"], "circuit_open");
}

}  // namespace
}  // namespace rvm::admin
