// The heartbeat thread against a platform sim that fails: resets, 5xx, hung
// responses. The loop keeps going, never wedges, and recovers when the
// platform does. Real time with short intervals; label "fault".
#include <gtest/gtest.h>

#include <thread>

#include "platform_sim/platform_sim.h"
#include "remote/fake_service_control.h"
#include "remote/heartbeat_service.h"
#include "uplink/edge_v1_client.h"
#include "uplink/uplink_test_util.h"

namespace rvm::remote {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using testing::FakeServiceControl;

// Polls `done` for up to `limit`.
template <typename F>
bool WaitFor(F done, milliseconds limit = milliseconds(10'000)) {
  const auto end = steady_clock::now() + limit;
  while (steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return done();
}

class HeartbeatLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sim_.Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    auto options = uplink::testing::SimOptions(sim_.base_url());
    options.http.request_timeout_ms = 300;  // a hung response costs this much
    auto c = uplink::EdgeV1Client::Create(options, SteadyClock::Instance());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
    HeartbeatOptions o;
    o.interval_ms = 20;
    o.max_backoff_ms = 40;
    o.ack_delay_ms = 0;
    heartbeat_ = std::make_unique<HeartbeatService>(*client_, service_, SteadyClock::Instance(), o);
  }

  sim::PlatformSim sim_{sim::PlatformSim::Options{}};
  FakeServiceControl service_;
  std::unique_ptr<uplink::PlatformClient> client_;
  std::unique_ptr<HeartbeatService> heartbeat_;
};

TEST_F(HeartbeatLoopTest, AFailingPlatformDoesNotWedgeTheLoop) {
  sim::FaultSettings f;
  f.reset.rate = 0.3;
  f.error.rate = 0.3;
  f.hang.rate = 0.2;
  f.hang_ms = 5'000;
  f.malformed_json.rate = 0.1;
  f.seed = 11;
  sim_.SetFaults(f);
  heartbeat_->Start();
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->Stats().failed >= 10; }))
      << heartbeat_->Stats().failed;

  // Commands queued while the platform misbehaves may be lost with a reply
  // (at most once); once it behaves, the loop delivers and acknowledges.
  sim_.SetFaults(sim::FaultSettings{});
  const int64_t sent_before = heartbeat_->Stats().sent;
  ASSERT_TRUE(sim_.QueueCommand(1, "RESTART").ok());
  ASSERT_TRUE(WaitFor([&] { return !sim_.store().ListCommandResults().empty(); }));
  EXPECT_EQ(service_.Status().pipeline_restarts, 1);
  EXPECT_GT(heartbeat_->Stats().sent, sent_before);
  EXPECT_EQ(heartbeat_->Stats().state, "online");

  const auto stop_start = steady_clock::now();
  heartbeat_->Stop();
  EXPECT_LT(steady_clock::now() - stop_start, milliseconds(2'000));
}

TEST_F(HeartbeatLoopTest, StopReturnsWhileThePlatformHangs) {
  sim::FaultSettings f;
  f.hang.rate = 1.0;
  f.hang_ms = 30'000;
  sim_.SetFaults(f);
  heartbeat_->Start();
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->Stats().attempts >= 2; }));
  const auto stop_start = steady_clock::now();
  heartbeat_->Stop();
  // Bounded by the client's request timeout (300 ms), not the 30 s hang.
  EXPECT_LT(steady_clock::now() - stop_start, milliseconds(2'000));
  EXPECT_GE(heartbeat_->Stats().failed, 1);
}

// A shorter interval ends the long wait in progress: the next heartbeat goes
// out at the new interval after the last one, and so do the following ones.
TEST_F(HeartbeatLoopTest, ANewIntervalTakesEffectDuringTheWait) {
  HeartbeatOptions o;
  o.interval_ms = 60'000;
  heartbeat_ = std::make_unique<HeartbeatService>(*client_, service_, SteadyClock::Instance(), o);
  heartbeat_->Start();
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->Stats().sent >= 1; }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(heartbeat_->Stats().sent, 1) << "the second heartbeat is a minute away";
  heartbeat_->SetInterval(milliseconds(50));
  ASSERT_TRUE(WaitFor([&] { return heartbeat_->Stats().sent >= 5; }, milliseconds(5'000)))
      << heartbeat_->Stats().sent;
  heartbeat_->Stop();
}

}  // namespace
}  // namespace rvm::remote
