#include "uplink/delivery_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <thread>

#include "logging/state_log.h"
#include "outbox/fault_injection_vfs.h"
#include "platform_sim/platform_sim.h"
#include "uplink/edge_v1_client.h"
#include "uplink/outbox_sink.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::FakeJpeg;
using testing::MakeDecision;
using testing::MakeSession;
using testing::ScopedTempDir;
using testing::SimOptions;

DeliveryOptions FastOptions() {
  DeliveryOptions o;
  o.backoff = {.min_ms = 100, .max_ms = 1000};
  o.breaker = {.failure_threshold = 3, .open_ms = 5000, .max_open_ms = 20000};
  o.session_batch = {.max_records = 10, .max_delay_ms = 2000};
  o.idle_poll_ms = 20;
  o.seed = 1;
  o.max_in_flight = 1;  // strict order at the server; the window has its own tests
  return o;
}

// An outbox in a temp dir and an edge v1 client against an in-process sim,
// all on one clock (a FakeClock unless a test needs real waits).
class DeliveryServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<sim::PlatformSim>(sim::PlatformSimOptions{});
    ASSERT_TRUE(sim_->Start().ok());
    Open(clock_);
  }
  void Open(Clock& clock) {
    sink_.reset();
    service_.reset();
    outbox_.reset();  // releases the directory lock before reopening
    outbox::OutboxOptions o;
    o.dir = dir_.path() + "/outbox";
    if (vfs_) o.sqlite_vfs = vfs_->name();
    auto box = outbox::Outbox::Open(o, outbox::PosixEnv(), clock);
    ASSERT_TRUE(box.ok()) << box.status().ToString();
    outbox_ = std::move(box).value();
    auto c = EdgeV1Client::Create(SimOptions(sim_->base_url()), clock);
    ASSERT_TRUE(c.ok());
    client_ = std::move(c).value();
    service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock, FastOptions());
    sink_ = std::make_unique<OutboxSink>(*outbox_, [this] { service_->Notify(); });
  }
  void AppendItem(const std::string& id, size_t jpeg_bytes = 512) {
    Decision d = MakeDecision(id);
    const auto jpeg = FakeJpeg(jpeg_bytes);
    d.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
    ASSERT_TRUE(sink_->Write(d).ok());
  }
  std::vector<std::string> ServerItemIds() {
    std::vector<std::string> ids;
    for (const auto& d : sim_->Deposits()) ids.push_back(d["item_id"].get<std::string>());
    return ids;
  }

  // Reopens the outbox on a fault-injecting SQLite VFS.
  void UseFaultInjectionVfs() {
    static std::atomic<int> counter{0};
    auto vfs = outbox::FaultInjectionVfs::Register("rvm-delivery-" + std::to_string(counter++));
    ASSERT_TRUE(vfs.ok());
    vfs_ = std::move(vfs).value();
    Open(clock_);
  }
  int64_t Resent() { return sim_->Stats()["duplicates"]["total"].get<int64_t>(); }

  ScopedTempDir dir_;
  FakeClock clock_;
  std::unique_ptr<outbox::FaultInjectionVfs> vfs_;  // declared before the outbox that uses it
  std::unique_ptr<sim::PlatformSim> sim_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<EdgeV1Client> client_;
  std::unique_ptr<DeliveryService> service_;
  std::unique_ptr<OutboxSink> sink_;
};

TEST_F(DeliveryServiceTest, ARoundDeliversPendingRecordsInOrderAndMarksThemDelivered) {
  for (int i = 0; i < 5; ++i) AppendItem("item-" + std::to_string(i));
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->handled, 5);
  EXPECT_EQ(ServerItemIds(),
            (std::vector<std::string>{"item-0", "item-1", "item-2", "item-3", "item-4"}));
  const DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.delivered, 5);
  EXPECT_EQ(s.backlog_records, 0);
  EXPECT_EQ(s.api_calls, 5);
  // Nothing is sent twice.
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(service_->Stats().api_calls, 5);
}

TEST_F(DeliveryServiceTest, AWindowedRoundDeliversEveryRecordOnceAndMarksThemDelivered) {
  DeliveryOptions o = FastOptions();
  o.max_in_flight = 8;
  o.records_per_round = 49;  // a full round: a backlog, which uses the window
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  AppendItem("w-000");  // the first round goes one at a time; later ones use the window
  ASSERT_TRUE(service_->RunOnce().ok());
  for (int i = 1; i < 50; ++i) AppendItem("w-" + std::to_string(100 + i));
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->handled, 49) << service_->Stats().last_error;
  EXPECT_GT(service_->Stats().connections_opened, 1) << "the window used more than one";
  std::vector<std::string> ids = ServerItemIds();
  std::sort(ids.begin(), ids.end());
  ASSERT_EQ(ids.size(), 50u);
  EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
  const DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.delivered, 50);
  EXPECT_EQ(s.backlog_records, 0);
  EXPECT_LE(s.connections_opened, 8);
}

TEST_F(DeliveryServiceTest, AFailureInAWindowRetriesFromTheFirstFailedRecord) {
  DeliveryOptions o = FastOptions();
  o.max_in_flight = 4;
  o.records_per_round = 6;
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  AppendItem("x-000");  // a first good round opens the window
  ASSERT_TRUE(service_->RunOnce().ok());
  for (int i = 1; i < 12; ++i) AppendItem("x-" + std::to_string(100 + i));
  sim::FaultSettings f;
  f.error.next = 1;
  sim_->SetFaults(f);
  ASSERT_TRUE(service_->RunOnce().ok());
  DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.retries, 1);
  EXPECT_GT(s.backlog_records, 0);
  EXPECT_GT(s.api_calls, 2) << "the failed round had a window in flight";
  // The failed record is the oldest pending one, and it holds back the rest.
  auto pending = outbox_->NextPending(100, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(pending.ok());
  ASSERT_FALSE(pending->empty());
  EXPECT_GT(pending->front().attempts, 0);
  const int64_t calls = s.api_calls;
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(service_->Stats().api_calls, calls) << "nothing is sent before the retry is due";
  clock_.Advance(milliseconds(1001));
  for (int i = 0; i < 10 && service_->Stats().backlog_records > 0; ++i) {
    ASSERT_TRUE(service_->RunOnce().ok());
  }
  s = service_->Stats();
  EXPECT_EQ(s.backlog_records, 0);
  EXPECT_EQ(s.delivered, 12);
  EXPECT_EQ(ServerItemIds().size(), 12u) << "every record once in the books";
}

TEST_F(DeliveryServiceTest, LiveItemsAFewPerRoundKeepToOneConnection) {
  DeliveryOptions o = FastOptions();
  o.max_in_flight = 4;
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 3; ++i) AppendItem("z-" + std::to_string(round * 10 + i));
    ASSERT_TRUE(service_->RunOnce().ok());
  }
  EXPECT_EQ(service_->Stats().delivered, 30);
  EXPECT_EQ(service_->Stats().connections_opened, 1);
}

TEST_F(DeliveryServiceTest, AfterAFailureTheNextAttemptIsASingleRequest) {
  DeliveryOptions o = FastOptions();
  o.max_in_flight = 4;
  o.records_per_round = 4;
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  AppendItem("y-000");
  ASSERT_TRUE(service_->RunOnce().ok());
  for (int i = 1; i < 10; ++i) AppendItem("y-" + std::to_string(100 + i));
  sim::FaultSettings f;
  f.error.rate = 1;  // the platform only fails now
  sim_->SetFaults(f);
  ASSERT_TRUE(service_->RunOnce().ok());
  const int64_t after_window = service_->Stats().api_calls;
  EXPECT_EQ(after_window, 1 + 4);
  clock_.Advance(milliseconds(1001));
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(service_->Stats().api_calls, after_window + 1);
}

TEST_F(DeliveryServiceTest, ARecordTheServerRefusesIsParkedWithItsMessageAndTheRestFlow) {
  AppendItem("item-ok-1");
  AppendItem("item-too-big", 6 << 20);  // edge v1 takes images up to 5120 KB
  AppendItem("item-ok-2");
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(ServerItemIds(), (std::vector<std::string>{"item-ok-1", "item-ok-2"}));
  auto parked = outbox_->List({.state = outbox::RecordState::kParked});
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].item_id, "item-too-big");
  EXPECT_NE((*parked)[0].last_error.find("HTTP 422"), std::string::npos);
  EXPECT_NE((*parked)[0].last_error.find("image"), std::string::npos);
  EXPECT_EQ(service_->Stats().parked, 1);
}

TEST_F(DeliveryServiceTest, AnOutageSchedulesARetryAndNothingIsSentBeforeItIsDue) {
  AppendItem("item-a");
  AppendItem("item-b");
  sim_->Stop();
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->wait, milliseconds(0));
  EXPECT_LE(r->wait, milliseconds(101));
  const int64_t calls = service_->Stats().api_calls;
  EXPECT_EQ(calls, 1);  // item-b was not tried after item-a failed
  auto again = service_->RunOnce();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->handled, 0);
  EXPECT_EQ(service_->Stats().api_calls, calls);
  const DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.retries, 1);
  EXPECT_EQ(s.backlog_records, 2);
  EXPECT_NE(s.last_error.find("no response"), std::string::npos);
}

TEST_F(DeliveryServiceTest, ANewBackoffSchedulesTheNextRetry) {
  AppendItem("item-a");
  sim_->Stop();
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->wait, milliseconds(101));  // the first retry under min_ms = 100
  clock_.Advance(r->wait);
  service_->SetBackoff({.min_ms = 30'000, .max_ms = 60'000});
  r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(service_->Stats().retries, 2);
  // Drawn from [min(cap, min_ms / 2), cap] with cap = 60 s on the second attempt.
  EXPECT_GE(r->wait, milliseconds(15'000));
  EXPECT_LE(r->wait, milliseconds(60'001));
}

TEST_F(DeliveryServiceTest, TheCircuitOpensAfterRepeatedFailuresAndThenOnlyProbes) {
  AppendItem("item-a");
  sim_->Stop();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(service_->RunOnce().ok());
    clock_.Advance(milliseconds(1001));  // past any backoff
  }
  EXPECT_EQ(service_->Stats().circuit, "open");
  const int64_t calls = service_->Stats().api_calls;
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(service_->RunOnce().ok());
    clock_.Advance(milliseconds(1001));
  }
  EXPECT_EQ(service_->Stats().api_calls, calls);  // open for 5 s: no request at all
  clock_.Advance(milliseconds(1000));
  ASSERT_TRUE(service_->RunOnce().ok());  // one probe, which fails: open again, longer
  EXPECT_EQ(service_->Stats().api_calls, calls + 1);
  EXPECT_EQ(service_->Stats().circuit, "open");
  EXPECT_EQ(service_->Stats().circuit_opened, 2);
}

// The lines DeliveryService's StateLog writes, captured.
struct CapturedLines {
  std::vector<std::string> messages;
  std::vector<std::vector<LogField>> fields;
  StateLog::Sink Sink() {
    return [this](LogLevel, std::string_view, std::string_view message,
                  const std::vector<LogField>& f) {
      messages.emplace_back(message);
      fields.push_back(f);
    };
  }
  int Count(const std::string& prefix) const {
    return static_cast<int>(std::count_if(messages.begin(), messages.end(), [&](const auto& m) {
      return m.rfind(prefix, 0) == 0;
    }));
  }
  std::string Field(const std::string& prefix, const std::string& key) const {
    for (size_t i = 0; i < messages.size(); ++i) {
      if (messages[i].rfind(prefix, 0) != 0) continue;
      for (const LogField& f : fields[i]) {
        if (f.key == key) return f.value;
      }
    }
    return "";
  }
};

TEST_F(DeliveryServiceTest, AnOutageIsLoggedOnceWithItsErrorAndItsEndWithTheBacklog) {
  CapturedLines lines;
  DeliveryOptions o = FastOptions();
  o.state_log_sink = lines.Sink();
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  AppendItem("item-a");
  AppendItem("item-b");
  sim::FaultSettings down;
  down.error.rate = 1;
  down.error_status = 503;
  sim_->SetFaults(down);
  for (int i = 0; i < 12; ++i) {  // failures, the circuit opening, probes failing
    ASSERT_TRUE(service_->RunOnce().ok());
    clock_.Advance(milliseconds(2001));
  }
  EXPECT_GE(service_->Stats().retries, 4);
  EXPECT_EQ(lines.Count("delivery to the platform failing"), 1);
  EXPECT_NE(lines.Field("delivery to the platform failing", "error").find("503"),
            std::string::npos);
  EXPECT_EQ(lines.Count("circuit breaker open"), 1);
  EXPECT_GE(service_->Stats().circuit_opened, 2) << "probes failed and opened it again";

  sim_->SetFaults({});
  for (int i = 0; i < 20 && service_->Stats().backlog_records > 0; ++i) {
    ASSERT_TRUE(service_->RunOnce().ok());
    clock_.Advance(milliseconds(5001));
  }
  EXPECT_EQ(ServerItemIds(), (std::vector<std::string>{"item-a", "item-b"}));
  EXPECT_EQ(lines.Count("circuit breaker half-open"), 1);
  EXPECT_EQ(lines.Count("circuit breaker closed"), 1);
  ASSERT_EQ(lines.Count("delivery to the platform resumed"), 1);
  // What still waited when delivery resumed: the probe took item-a, item-b waited.
  EXPECT_EQ(lines.Field("delivery to the platform resumed", "backlog_records"), "1");
  EXPECT_NE(lines.Field("delivery to the platform resumed", "backlog_oldest_age_s"), "");
  // Nothing else: no line per retry.
  EXPECT_EQ(lines.messages.size(), 5u) << ::testing::PrintToString(lines.messages);
}

TEST_F(DeliveryServiceTest, TheHandshakeIsRetriedWithBackoffAndDeliveryDoesNotWaitForIt) {
  CapturedLines lines;
  DeliveryOptions o = FastOptions();
  o.handshake = true;
  o.state_log_sink = lines.Sink();
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, o);
  EXPECT_EQ(service_->Stats().handshake, "pending");
  sim::FaultSettings handshake_fails;
  handshake_fails.error.next = 3;
  handshake_fails.error_status = 500;
  handshake_fails.path_filter = "/edge/handshake";
  sim_->SetFaults(handshake_fails);
  AppendItem("item-a");

  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(ServerItemIds(), std::vector<std::string>{"item-a"}) << "delivered without it";
  EXPECT_EQ(service_->Stats().handshake, "retrying");
  EXPECT_EQ(service_->Stats().handshake_attempts, 1);
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(service_->Stats().handshake_attempts, 1) << "not before its backoff";

  for (int i = 0; i < 6 && service_->Stats().handshake != "done"; ++i) {
    clock_.Advance(milliseconds(1001));  // past the longest backoff (max_ms 1000)
    ASSERT_TRUE(service_->RunOnce().ok());
  }
  EXPECT_EQ(service_->Stats().handshake, "done");
  EXPECT_EQ(service_->Stats().handshake_attempts, 4);
  EXPECT_EQ(sim_->store().ListEdgeDevices().size(), 1u);
  EXPECT_EQ(lines.Count("handshake with the platform failed"), 1) << "once, not per retry";
  EXPECT_NE(lines.Field("handshake with the platform failed", "error").find("500"),
            std::string::npos);
  EXPECT_EQ(lines.Count("handshake with the platform succeeded"), 1);
  EXPECT_EQ(lines.Field("handshake with the platform succeeded", "attempts"), "4");
  clock_.Advance(milliseconds(5000));
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(service_->Stats().handshake_attempts, 4) << "done means done";
}

TEST_F(DeliveryServiceTest, RetryAfterFromA429SetsTheNextAttempt) {
  sim::FaultSettings f;
  f.rate_limit.next = 1;
  f.retry_after_s = 7;
  sim_->SetFaults(f);
  AppendItem("item-429");
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_GE(r->wait, milliseconds(7000));
  auto rec = outbox_->Get(1);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->next_attempt_ms, clock_.WallMillis() + 7000);
  EXPECT_NE(rec->last_error.find("429"), std::string::npos);
  clock_.Advance(milliseconds(7000));
  ASSERT_TRUE(service_->RunOnce().ok());
  EXPECT_EQ(ServerItemIds(), std::vector<std::string>{"item-429"});
}

TEST_F(DeliveryServiceTest, SessionsWaitForTheirBatchUntilTheDelayRunsOut) {
  ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("sess-1", 1)).ok());
  ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("sess-2", 2)).ok());
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->handled, 0);
  EXPECT_EQ(service_->Stats().api_calls, 0);
  EXPECT_EQ(r->wait, milliseconds(2000));
  clock_.Advance(milliseconds(2000));
  r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->handled, 2);
  EXPECT_EQ(service_->Stats().api_calls, 1);
  EXPECT_EQ(sim_->Transactions().size(), 2u);
}

// The platform stored the records, but the outbox cannot mark them (its
// commits fail): they are not sent again round after round, nothing new is
// sent (so a crash still leaves at most InFlightBound records re-sent), and
// once marking works they are marked and the rest flows, each record sent
// once.
TEST_F(DeliveryServiceTest, WhileMarkingFailsNothingIsSentAgainOrAnewAndAllIsMarkedOnceItWorks) {
  UseFaultInjectionVfs();
  for (int i = 0; i < 10; ++i) AppendItem("m-" + std::to_string(100 + i));
  ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("sess-m", 10)).ok());
  vfs_->FailSyncs(true);
  EXPECT_FALSE(service_->RunOnce().ok()) << "the round reports the failed marking";
  const int64_t chunk = DepositChunk(FastOptions());
  EXPECT_EQ(service_->Stats().api_calls, chunk) << "one chunk, then the round stopped";
  // A minute of rounds while the outbox still fails to commit.
  for (int i = 0; i < 120; ++i) {
    clock_.Advance(milliseconds(500));
    (void)service_->RunOnce();
  }
  DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.api_calls, chunk) << "nothing re-sent and nothing new sent while marking fails";
  EXPECT_EQ(Resent(), 0);
  EXPECT_TRUE(sim_->Transactions().empty()) << "the session batch waits too";
  EXPECT_EQ(s.delivered, 0);
  EXPECT_GT(s.outbox_errors, 1);
  EXPECT_LT(s.outbox_errors, 120) << "marking is retried on the backoff, not every round";
  EXPECT_NE(s.last_error.find("I/O error"), std::string::npos) << s.last_error;

  vfs_->FailSyncs(false);
  for (int i = 0; i < 20 && service_->Stats().backlog_records > 0; ++i) {
    clock_.Advance(milliseconds(2000));
    auto r = service_->RunOnce();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  s = service_->Stats();
  EXPECT_EQ(s.backlog_records, 0);
  EXPECT_EQ(s.delivered, 11);
  EXPECT_EQ(s.api_calls, 11) << "every record sent exactly once";
  EXPECT_EQ(ServerItemIds().size(), 10u);
  EXPECT_EQ(sim_->Transactions().size(), 1u);
  EXPECT_EQ(Resent(), 0);
}

// The wall clock steps back 10 minutes (NTP) while a record waits for its
// retry: the retry this service scheduled comes on the steady clock.
TEST_F(DeliveryServiceTest, AWallClockSteppedBackDoesNotHoldBackARetryThisServiceScheduled) {
  AppendItem("item-a");
  sim::FaultSettings f;
  f.error.next = 1;
  sim_->SetFaults(f);
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(service_->Stats().retries, 1);
  clock_.StepWall(-std::chrono::minutes(10));
  clock_.Advance(r->wait);
  r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ServerItemIds(), std::vector<std::string>{"item-a"});
  EXPECT_EQ(service_->Stats().backlog_records, 0);
}

// A retry scheduled by an earlier run, before the wall clock stepped back by
// more than any retry delay can be: due at once, not in two hours.
TEST_F(DeliveryServiceTest, ARetryScheduledBeforeTheWallClockSteppedBackFarIsDueAtOnce) {
  AppendItem("item-a");
  sim::FaultSettings f;
  f.error.next = 1;
  sim_->SetFaults(f);
  ASSERT_TRUE(service_->RunOnce().ok());
  ASSERT_EQ(service_->Stats().retries, 1);
  service_ = std::make_unique<DeliveryService>(*outbox_, *client_, clock_, FastOptions());
  clock_.StepWall(-std::chrono::hours(2));
  clock_.Advance(milliseconds(1));
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->handled, 1);
  EXPECT_EQ(ServerItemIds(), std::vector<std::string>{"item-a"});
}

// A session summary appended before the wall clock stepped back an hour
// looks an hour younger than it is: its batch still goes within the delay.
TEST_F(DeliveryServiceTest,
       ASessionAppendedBeforeTheWallClockSteppedBackWaitsNoLongerThanTheDelay) {
  ASSERT_TRUE(sink_->WriteSessionSummary(MakeSession("sess-1", 1)).ok());
  clock_.StepWall(-std::chrono::hours(1));
  auto r = service_->RunOnce();
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->wait, milliseconds(2000));
  if (r->handled == 0) {
    clock_.Advance(r->wait);
    r = service_->RunOnce();
    ASSERT_TRUE(r.ok());
  }
  EXPECT_EQ(r->handled, 1);
  EXPECT_EQ(sim_->Transactions().size(), 1u);
}

TEST_F(DeliveryServiceTest, BacklogSizeAndAgeAreVisible) {
  sim_->Stop();
  AppendItem("item-old");
  clock_.Advance(milliseconds(90'000));
  AppendItem("item-new");
  const DeliveryStats s = service_->Stats();
  EXPECT_EQ(s.backlog_records, 2);
  EXPECT_GT(s.backlog_bytes, 1000);
  EXPECT_EQ(s.backlog_oldest_age_ms, 90'000);
  EXPECT_TRUE(s.outbox_accepting);
}

TEST_F(DeliveryServiceTest, TheThreadDeliversANewRecordAsSoonAsItIsAppended) {
  Open(SteadyClock::Instance());
  service_->Start();
  const auto start = std::chrono::steady_clock::now();
  AppendItem("item-live");
  while (service_->Stats().delivered < 1 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(milliseconds(2));
  }
  service_->Stop();
  EXPECT_EQ(ServerItemIds(), std::vector<std::string>{"item-live"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

}  // namespace
}  // namespace rvm::uplink
