#include "uplink/platform_client_factory.h"

#include <gtest/gtest.h>

namespace rvm::uplink {
namespace {

UplinkConfig Uplink(const std::string& contract) {
  UplinkConfig u;
  u.contract = contract;
  u.base_url = "http://127.0.0.1:9/";
  u.api_key.value = "key";
  u.machine_id = 3;
  u.email = "device@example.com";
  u.password.value = "secret123";
  return u;
}

TEST(PlatformClientFactoryTest, BuildsTheAdapterTheContractNames) {
  auto edge = MakePlatformClient(Uplink("edge_v1"), {}, "1.0", SteadyClock::Instance());
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  EXPECT_TRUE((*edge)->batches_sessions());
  auto v2 = MakePlatformClient(Uplink("v2"), {}, "1.0", SteadyClock::Instance());
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_FALSE((*v2)->batches_sessions());
}

TEST(PlatformClientFactoryTest, AnUnknownContractIsRefusedByKey) {
  auto c = MakePlatformClient(Uplink("v3"), {}, "1.0", SteadyClock::Instance());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("uplink.contract"), std::string::npos);
  EXPECT_NE(c.status().message().find("'v3'"), std::string::npos);
}

TEST(PlatformClientFactoryTest, ConfigKeysReachTheOptions) {
  UplinkConfig u = Uplink("edge_v1");
  u.sync_offline_auth = "bearer";
  u.batch_max_size = 200;
  u.retry_backoff_min_ms = 250;
  u.retry_backoff_max_ms = 9000;
  u.ca_path = "/etc/ca.pem";
  const PlatformClientOptions o = ClientOptionsFromConfig(u, {"m-7", "Lobby"}, "1.2");
  EXPECT_TRUE(o.sync_offline_bearer);
  EXPECT_EQ(o.hardware_id, "m-7");
  EXPECT_EQ(o.machine_name, "Lobby");
  EXPECT_EQ(o.http.ca_path, "/etc/ca.pem");
  const DeliveryOptions d = DeliveryOptionsFromConfig(u);
  EXPECT_EQ(d.session_batch.max_records, 200);
  EXPECT_GE(d.records_per_round, 200);
  EXPECT_EQ(d.backoff.min_ms, 250);
  EXPECT_EQ(d.backoff.max_ms, 9000);
}

TEST(PlatformClientFactoryTest, DeliveryTuningKeysReachTheDeliveryOptions) {
  UplinkConfig u = Uplink("edge_v1");
  u.circuit_failure_threshold = 7;
  u.circuit_open_ms = 1500;
  u.circuit_max_open_ms = 30'000;
  u.replay_max_records_per_s = 250;
  u.records_per_round = 800;
  u.max_in_flight = 6;
  const DeliveryOptions d = DeliveryOptionsFromConfig(u);
  EXPECT_EQ(d.breaker.failure_threshold, 7);
  EXPECT_EQ(d.breaker.open_ms, 1500);
  EXPECT_EQ(d.breaker.max_open_ms, 30'000);
  EXPECT_DOUBLE_EQ(d.max_records_per_s, 250);
  EXPECT_EQ(d.records_per_round, 800);
  EXPECT_EQ(d.max_in_flight, 6);
}

TEST(PlatformClientFactoryTest, TheDefaultConfigGivesTheDefaultDeliveryTuning) {
  const DeliveryOptions d = DeliveryOptionsFromConfig(UplinkConfig{});
  const DeliveryOptions defaults;
  EXPECT_EQ(d.breaker.failure_threshold, defaults.breaker.failure_threshold);
  EXPECT_EQ(d.breaker.open_ms, defaults.breaker.open_ms);
  EXPECT_EQ(d.breaker.max_open_ms, defaults.breaker.max_open_ms);
  EXPECT_EQ(d.max_in_flight, defaults.max_in_flight);
  EXPECT_DOUBLE_EQ(d.max_records_per_s, 0);
}

}  // namespace
}  // namespace rvm::uplink
