// Delivery proof: an outage. The platform goes away while items keep coming
// and returns; afterwards every item is at the platform exactly once, in the
// order the machine decided them (strictly with one request in flight; with a
// window of W, no item reaches the platform before the item W places earlier),
// and the backlog is empty.
//
// Real pieces throughout: an outbox on disk, the edge v1 client over libcurl,
// the DeliveryService thread, and the platform sim on loopback, stopped and
// restarted on the same port with its database in a file (so its books and
// its idempotency keys survive the restart like a real server's).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include "platform_sim/platform_sim.h"
#include "uplink/delivery_service.h"
#include "uplink/edge_v1_client.h"
#include "uplink/outbox_sink.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using std::chrono::milliseconds;
using testing::FakeJpeg;
using testing::MakeDecision;
using testing::ScopedTempDir;
using testing::SimOptions;

std::unique_ptr<sim::PlatformSim> StartSim(const std::string& db, int port) {
  sim::PlatformSimOptions o;
  o.db_path = db;
  o.port = port;
  auto sim = std::make_unique<sim::PlatformSim>(o);
  auto started = sim->Start();
  EXPECT_TRUE(started.ok()) << started.status().ToString();
  return started.ok() ? std::move(sim) : nullptr;
}

class DeliveryOutageTest : public ::testing::TestWithParam<int> {};

TEST_P(DeliveryOutageTest, EveryItemReachesThePlatformOnceInOrderAfterAnOutage) {
  const int window = GetParam();
  ScopedTempDir dir;
  const std::string db = dir.path() + "/platform.db";
  auto sim = StartSim(db, 0);
  ASSERT_TRUE(sim);
  const int port = sim->port();

  outbox::OutboxOptions oo;
  oo.dir = dir.path() + "/outbox";
  auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  auto options = SimOptions(sim->base_url());
  options.http.connect_timeout_ms = 200;
  options.http.request_timeout_ms = 1000;
  auto client = EdgeV1Client::Create(options, SteadyClock::Instance());
  ASSERT_TRUE(client.ok());
  DeliveryOptions d;
  d.backoff = {.min_ms = 10, .max_ms = 100};
  d.breaker = {.failure_threshold = 3, .open_ms = 50, .max_open_ms = 200};
  d.max_records_per_s = 5000;  // replay is bounded, new items still flow
  d.idle_poll_ms = 10;
  d.max_in_flight = window;
  DeliveryService service(**box, **client, SteadyClock::Instance(), d);
  OutboxSink sink(**box, [&] { service.Notify(); });
  service.Start();

  // 400 items, one every 2 ms; the platform is down for items 100..299.
  constexpr int kItems = 400;
  std::vector<std::string> ids;
  for (int i = 0; i < kItems; ++i) {
    if (i == 100) sim.reset();  // Stop() in the destructor: the port closes
    if (i == 300) {
      sim = StartSim(db, port);
      ASSERT_TRUE(sim);
    }
    char id[32];
    std::snprintf(id, sizeof(id), "outage-%04d", i);
    ids.push_back(id);
    Decision dec = MakeDecision(id);
    const auto jpeg = FakeJpeg(700, static_cast<uint8_t>(i));
    dec.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
    ASSERT_TRUE(sink.Write(dec).ok()) << "the machine keeps accepting during the outage";
    if (i == 299) {
      const DeliveryStats during = service.Stats();
      EXPECT_GT(during.backlog_records, 100) << "items pile up in the outbox while offline";
      EXPECT_GT(during.backlog_oldest_age_ms, 0);
    }
    std::this_thread::sleep_for(milliseconds(2));
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (service.Stats().backlog_records > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  service.Stop();
  const DeliveryStats s = service.Stats();
  EXPECT_EQ(s.backlog_records, 0);
  EXPECT_EQ(s.parked, 0);
  EXPECT_GT(s.retries, 0) << "the outage was felt";
  EXPECT_GE(s.circuit_opened, 1) << "the circuit breaker stopped the retries";

  std::vector<std::string> books;
  for (const auto& row : sim->Deposits()) books.push_back(row["item_id"].get<std::string>());
  if (window == 1) {
    EXPECT_EQ(books, ids) << "every item once, in decision order";
  } else {
    std::vector<std::string> sorted = books;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, ids) << "every item once";
    std::map<std::string, size_t> pos;
    for (size_t i = 0; i < books.size(); ++i) pos[books[i]] = i;
    for (int n = window; n < kItems && pos.size() == static_cast<size_t>(kItems); ++n) {
      EXPECT_LT(pos[ids[n - window]], pos[ids[n]])
          << ids[n] << " reached the platform before " << ids[n - window];
    }
  }
  RecordProperty("retries", static_cast<int>(s.retries));
  RecordProperty("duplicates",
                 static_cast<int>(sim->Stats()["duplicates"]["total"].get<int64_t>()));
}

INSTANTIATE_TEST_SUITE_P(Windows, DeliveryOutageTest, ::testing::Values(1, 4),
                         [](const auto& info) { return "InFlight" + std::to_string(info.param); });

}  // namespace
}  // namespace rvm::uplink
