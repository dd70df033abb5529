// Delivery proof: a bad server. Resets, hung responses, 429s, 5xx, HTML
// pages and JSON cut short, all at once; then a server that only fails; then
// one that answers every request with an HTML page. The client neither
// crashes, nor loses a record, nor credits one twice, nor spins: requests
// stay within a small multiple of the records, and a dead server is probed
// ever more rarely instead of hammered.
#include <gtest/gtest.h>

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
using testing::MakeSession;
using testing::ScopedTempDir;
using testing::SimOptions;

class DeliveryBadServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sim_.Start().ok());
    outbox::OutboxOptions oo;
    oo.dir = dir_.path() + "/outbox";
    auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
    ASSERT_TRUE(box.ok()) << box.status().ToString();
    outbox_ = std::move(box).value();
    auto options = SimOptions(sim_.base_url());
    options.http.connect_timeout_ms = 200;
    options.http.request_timeout_ms = 300;  // a hung response costs 300 ms, not the hang
    auto client = EdgeV1Client::Create(options, SteadyClock::Instance());
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }

  void StartService(DeliveryOptions d) {
    service_ = std::make_unique<DeliveryService>(*outbox_, *client_, SteadyClock::Instance(), d);
    sink_ = std::make_unique<OutboxSink>(*outbox_, [this] { service_->Notify(); });
    service_->Start();
  }

  static DeliveryOptions Fast() {
    DeliveryOptions d;
    d.backoff = {.min_ms = 5, .max_ms = 50};
    d.breaker = {.failure_threshold = 8, .open_ms = 20, .max_open_ms = 100};
    d.session_batch = {.max_records = 10, .max_delay_ms = 20};
    d.idle_poll_ms = 5;
    d.seed = 9;
    return d;
  }

  void AppendItems(const std::string& prefix, int n) {
    for (int i = 0; i < n; ++i) {
      Decision d = MakeDecision(prefix + std::to_string(i));
      const auto jpeg = FakeJpeg(500, static_cast<uint8_t>(i));
      d.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
      ASSERT_TRUE(sink_->Write(d).ok());
    }
  }

  bool WaitForEmptyBacklog(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (service_->Stats().backlog_records == 0) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }

  std::map<std::string, int> Books() {
    std::map<std::string, int> books;
    for (const auto& row : sim_.Deposits()) ++books[row["item_id"].get<std::string>()];
    return books;
  }
  int64_t ApiRequests() {
    int64_t n = 0;
    const nlohmann::json stats = sim_.Stats();  // kept alive for the loop below
    for (const auto& [route, statuses] : stats["requests"]["by_route"].items()) {
      if (route.rfind("POST /api/", 0) != 0) continue;
      for (const auto& [status, count] : statuses.items()) n += count.get<int64_t>();
    }
    return n;
  }

  ScopedTempDir dir_;
  sim::PlatformSim sim_{sim::PlatformSimOptions{}};
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<EdgeV1Client> client_;
  std::unique_ptr<DeliveryService> service_;
  std::unique_ptr<OutboxSink> sink_;
};

TEST_F(DeliveryBadServerTest, EveryFaultAtOnceLosesNothingAndCreditsNothingTwice) {
  sim::FaultSettings f;
  f.reset.rate = 0.05;
  f.hang.rate = 0.02;
  f.hang_ms = 5000;
  f.rate_limit.rate = 0.05;
  f.retry_after_s = 0;
  f.error.rate = 0.08;
  f.html_body.rate = 0.05;
  f.malformed_json.rate = 0.05;
  f.process_before_fault = true;
  f.seed = 77;
  sim_.SetFaults(f);
  StartService(Fast());
  constexpr int kItems = 200, kSessions = 20;
  AppendItems("bad-", kItems);
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("bad-sess-" + std::to_string(i), 2)).ok());
  }
  ASSERT_TRUE(WaitForEmptyBacklog(std::chrono::seconds(60)));
  service_->Stop();

  const auto books = Books();
  EXPECT_EQ(books.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    const std::string id = "bad-" + std::to_string(i);
    EXPECT_EQ(books.count(id) ? books.at(id) : 0, 1) << id;
  }
  std::map<std::string, int> sessions;
  for (const auto& t : sim_.Transactions()) ++sessions[t["session_id"].get<std::string>()];
  EXPECT_EQ(sessions.size(), static_cast<size_t>(kSessions));
  for (const auto& [id, n] : sessions) EXPECT_EQ(n, 1) << id;

  const DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.parked, 0) << s.last_error;
  EXPECT_GT(s.retries, 0);
  EXPECT_GT(s.garbled_acks, 0) << "JSON cut short was counted (and retried, not taken as an ack)";
  const nlohmann::json injected = sim_.Stats()["faults_injected"];
  for (const char* kind : {"reset", "hang", "rate_limit", "error", "html_body", "malformed_json"}) {
    EXPECT_GT(injected.value(kind, 0), 0) << kind << " was never injected";
  }
  // No spinning: about one request per record plus one per injected fault.
  EXPECT_LT(ApiRequests(), 2 * (kItems + kSessions));
}

TEST_F(DeliveryBadServerTest, AServerThatOnlyFailsIsProbedRarelyNotHammered) {
  sim::FaultSettings f;
  f.error.rate = 1.0;
  sim_.SetFaults(f);
  DeliveryOptions d = Fast();
  d.breaker = {.failure_threshold = 3, .open_ms = 100, .max_open_ms = 800};
  StartService(d);
  AppendItems("dead-", 20);
  std::this_thread::sleep_for(milliseconds(2500));
  const int64_t during = ApiRequests();
  // 3 failures open the circuit; probes follow after 100, 200, 400, 800, 800 ms.
  EXPECT_GE(during, 4);
  EXPECT_LE(during, 12) << "a dead server is not hammered";
  EXPECT_EQ(service_->Stats().circuit, "open");
  EXPECT_EQ(service_->Stats().backlog_records, 20);
  EXPECT_EQ(service_->Stats().parked, 0);

  sim_.SetFaults({});
  ASSERT_TRUE(WaitForEmptyBacklog(std::chrono::seconds(10)));
  service_->Stop();
  EXPECT_EQ(Books().size(), 20u);
  EXPECT_EQ(service_->Stats().circuit, "closed");
}

TEST_F(DeliveryBadServerTest, AnHtmlPageWithStatus200IsNeverTakenAsAnAcknowledgement) {
  sim::FaultSettings f;
  f.html_body.rate = 1.0;
  f.html_status = 200;
  sim_.SetFaults(f);
  StartService(Fast());
  AppendItems("html-", 5);
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(service_->Stats().delivered, 0);
  EXPECT_EQ(service_->Stats().backlog_records, 5);
  EXPECT_NE(service_->Stats().last_error.find("text/html"), std::string::npos)
      << service_->Stats().last_error;

  sim_.SetFaults({});
  ASSERT_TRUE(WaitForEmptyBacklog(std::chrono::seconds(10)));
  service_->Stop();
  EXPECT_EQ(Books().size(), 5u);
}

}  // namespace
}  // namespace rvm::uplink
