// Delivery proof, end to end: a full disk. With the platform unreachable the
// outbox fills its small quota (evidence images are dropped first, then it
// stops accepting, so the machine refuses items instead of losing them); when
// the platform returns, the backlog is delivered (deposits whose image was
// dropped go with a placeholder and say so), the retention policy purges the
// delivered records by itself, and the outbox accepts again. Every
// acknowledged item is in the books once, and credited: the session's
// summary was written into the ledger's reserve while items were refused.
#include <gtest/gtest.h>

#include <limits>
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

TEST(DeliveryDiskFullTest, AFullOutboxStopsAcceptingLosesNothingAndAcceptsAgainAfterDelivery) {
  testing::ScopedTempDir dir;
  sim::PlatformSim sim(sim::PlatformSimOptions{});
  ASSERT_TRUE(sim.Start().ok());
  const std::string url = sim.base_url();
  sim.Stop();  // the platform is unreachable while the outbox fills

  outbox::OutboxOptions oo;
  oo.dir = dir.path() + "/outbox";
  oo.quota_bytes = 768 << 10;
  // Room for the summary of every item taken (a few hundred here).
  oo.reserve_bytes = 160 << 10;
  oo.wal_checkpoint_bytes = 64 << 10;
  auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  OutboxSink sink(**box);

  std::vector<std::string> acked;
  Status refused;
  for (int i = 0; i < 3000 && refused.ok(); ++i) {
    Decision d = testing::MakeDecision("full-" + std::to_string(i));
    const auto jpeg = testing::FakeJpeg(20'000, static_cast<uint8_t>(i));
    d.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
    refused = sink.Write(d);
    if (refused.ok()) acked.push_back(d.item_id);
  }
  ASSERT_EQ(refused.code(), StatusCode::kResourceExhausted) << "the quota was reached";
  EXPECT_FALSE((*box)->accepting());
  auto stats = (*box)->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_GT(stats->evidence_dropped, 0) << "images went first";
  EXPECT_EQ(stats->pending, static_cast<int64_t>(acked.size())) << "no record was dropped";

  // The items already taken are credited: their session's summary goes into
  // the ledger's reserve although new items are refused.
  SessionSummary summary;
  summary.session = {"s-1", SessionKind::kGuest, -1};
  summary.machine_id = "rvm-test";
  summary.close_reason = "closed";
  for (const auto& id : acked) summary.items.push_back({id, Material::kPet, true, 10, 0});
  const Status summary_written = sink.WriteSessionSummary(summary);
  ASSERT_TRUE(summary_written.ok()) << summary_written.ToString();
  EXPECT_FALSE((*box)->accepting());

  // The platform returns on the same port.
  sim::PlatformSimOptions so;
  so.port = std::stoi(url.substr(url.rfind(':') + 1));
  sim::PlatformSim back(so);
  ASSERT_TRUE(back.Start().ok());
  auto client = EdgeV1Client::Create(testing::SimOptions(url), SteadyClock::Instance());
  ASSERT_TRUE(client.ok());
  DeliveryOptions d;
  d.idle_poll_ms = 5;
  DeliveryService service(**box, **client, SteadyClock::Instance(), d);
  service.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((service.Stats().backlog_records > 0 || !(*box)->accepting()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  service.Stop();
  ASSERT_EQ(service.Stats().backlog_records, 0);
  // Nobody purged by hand: the retention policy removed the delivered backlog.
  EXPECT_TRUE((*box)->accepting()) << "space returned by itself";
  EXPECT_GT(service.Stats().purged, 0);
  Decision after = testing::MakeDecision("after-full");
  EXPECT_TRUE(sink.Write(after).ok());

  std::map<std::string, int> books;
  int placeholders = 0;
  for (const auto& row : back.Deposits()) {
    ++books[row["item_id"].get<std::string>()];
    if (row["payload"]["data"].value("evidence", "") == "unavailable") ++placeholders;
  }
  for (const auto& id : acked) EXPECT_EQ(books[id], 1) << id;
  const auto ledger = back.Transactions();
  ASSERT_EQ(ledger.size(), 1u) << "the session was credited";
  EXPECT_EQ(ledger[0]["items"].size(), acked.size());
  EXPECT_EQ(books.size(), acked.size());
  EXPECT_GT(placeholders, 0) << "deposits whose image was dropped still went, flagged";
}

}  // namespace
}  // namespace rvm::uplink
