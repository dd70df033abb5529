// Bad answers from the platform never mark a record delivered. A real HTTP
// server on loopback answers the edge v1 endpoints with one bad answer each:
// a 2xx whose body says the request failed (both failure shapes), a 2xx with
// an empty or non-JSON body, a body naming another item, a redirect to
// another host, a hung connection, and a 200 where a stored deposit is a 201.
// One delivery round runs against it: the record stays pending in the outbox,
// scheduled for a retry, with the reason as its last error.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "uplink/delivery_service.h"
#include "uplink/edge_v1_client.h"
#include "uplink/outbox_sink.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using testing::FakeJpeg;
using testing::MakeDecision;
using testing::MakeSession;
using testing::ScopedTempDir;
using testing::SimOptions;

struct BadAnswer {
  std::string name;
  std::function<void(httplib::Response&)> answer;
  std::string reason;  // expected in the record's last_error
};

class DeliveryBadAnswersTest : public ::testing::TestWithParam<BadAnswer> {
 protected:
  void SetUp() override {
    const BadAnswer& bad = GetParam();
    auto handler = [this, bad](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      bad.answer(res);
    };
    server_.Post("/api/v1/edge/deposit", handler);
    server_.Post("/api/v1/edge/sync-offline", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    listener_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    outbox::OutboxOptions oo;
    oo.dir = dir_.path() + "/outbox";
    auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
    ASSERT_TRUE(box.ok()) << box.status().ToString();
    outbox_ = std::move(box).value();
    auto options = SimOptions("http://127.0.0.1:" + std::to_string(port_));
    options.http.connect_timeout_ms = 200;
    options.http.request_timeout_ms = 300;  // the hung answer costs 300 ms
    auto client = EdgeV1Client::Create(options, SteadyClock::Instance());
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
    DeliveryOptions d;
    d.session_batch = {.max_records = 10, .max_delay_ms = 0};
    d.seed = 3;
    service_ = std::make_unique<DeliveryService>(*outbox_, *client_, SteadyClock::Instance(), d);
    sink_ = std::make_unique<OutboxSink>(*outbox_);
  }
  void TearDown() override {
    // The client's pooled connection first, so the server need not wait out
    // its keep-alive.
    service_.reset();
    client_.reset();
    server_.stop();
    if (listener_.joinable()) listener_.join();
  }

  // One round; then the record must still be pending with `reason`.
  void ExpectPendingAfterOneRound(int64_t seq) {
    auto round = service_->RunOnce();
    ASSERT_TRUE(round.ok()) << round.status().ToString();
    auto rec = outbox_->Get(seq);
    ASSERT_TRUE(rec.ok()) << rec.status().ToString();
    EXPECT_EQ(rec->state, outbox::RecordState::kPending) << GetParam().name;
    EXPECT_EQ(rec->attempts, 1) << "scheduled for a retry";
    EXPECT_NE(rec->last_error.find(GetParam().reason), std::string::npos) << rec->last_error;
    EXPECT_EQ(service_->Counters().delivered, 0);
    EXPECT_GE(requests_.load(), 1) << "the answer came from the server under test";
  }

  ScopedTempDir dir_;
  httplib::Server server_;
  std::thread listener_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<EdgeV1Client> client_;
  std::unique_ptr<DeliveryService> service_;
  std::unique_ptr<OutboxSink> sink_;
};

TEST_P(DeliveryBadAnswersTest, ADepositAnsweredSoStaysPendingForARetry) {
  Decision d = MakeDecision("item-A");
  const auto jpeg = FakeJpeg(500);
  d.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
  ASSERT_TRUE(sink_->Write(d).ok());
  ExpectPendingAfterOneRound(1);
}

TEST_P(DeliveryBadAnswersTest, ASessionSummaryAnsweredSoStaysPendingForARetry) {
  if (GetParam().name == "a200WhereA201IsRequired" || GetParam().name == "anotherItemId") {
    GTEST_SKIP() << "deposit-only expectation";
  }
  ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("sess-1", 2)).ok());
  ExpectPendingAfterOneRound(1);
}

void Json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

INSTANTIATE_TEST_SUITE_P(
    EdgeV1, DeliveryBadAnswersTest,
    ::testing::Values(
        BadAnswer{"statusError",
                  [](httplib::Response& r) { Json(r, 200, R"({"status":"error","message":"nope"})"); },
                  "says the request failed: nope"},
        BadAnswer{"successFalse",
                  [](httplib::Response& r) {
                    Json(r, 201, R"({"success":false,"message":"storage full"})");
                  },
                  "says the request failed: storage full"},
        BadAnswer{"emptyBody", [](httplib::Response& r) { Json(r, 201, ""); }, "empty body"},
        BadAnswer{"notJson",
                  [](httplib::Response& r) {
                    r.status = 200;
                    r.set_content("OK", "text/plain");
                  },
                  "not JSON"},
        BadAnswer{"cutJson", [](httplib::Response& r) { Json(r, 201, R"({"status":"succ)"); },
                  "not a JSON object"},
        BadAnswer{"anotherItemId",
                  [](httplib::Response& r) {
                    Json(r, 201,
                         R"({"status":"success","data":{"ai_result":{"item_id":"item-B"}}})");
                  },
                  "contradicts the request"},
        BadAnswer{"redirectToAnotherHost",
                  [](httplib::Response& r) {
                    r.status = 302;
                    r.set_header("Location", "http://elsewhere.invalid/api/v1/edge/deposit");
                  },
                  "HTTP 302"},
        BadAnswer{"hungConnection",
                  [](httplib::Response& r) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                    Json(r, 201, R"({"status":"success"})");
                  },
                  "no response"},
        BadAnswer{"a200WhereA201IsRequired",
                  [](httplib::Response& r) { Json(r, 200, R"({"status":"success"})"); },
                  "answers a stored record with 201"}),
    [](const ::testing::TestParamInfo<BadAnswer>& info) { return info.param.name; });

}  // namespace
}  // namespace rvm::uplink
