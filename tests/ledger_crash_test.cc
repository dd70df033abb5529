// Chaos test 1, the ledger through kill -9: the real `rvm-edge run` decides
// items from a looping chute sequence and delivers them to a platform sim
// (in this process, loopback, port 0, database in a temp dir) while this test
// SIGKILLs it at seeded random moments, N times over one outbox. A last run
// over the sequence once ends by itself. Then the platform's books must show:
// every outbox record delivered; each deposit exactly once; each accepted
// item in exactly one ledger transaction (sync-offline), with the points it
// was decided with; no rejected item credited; and the re-sends the
// platform's dedupe absorbed within N x the uplink's in-flight bound.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "outbox/env.h"
#include "outbox/outbox.h"
#include "platform_sim/platform_sim.h"
#include "uplink/delivery_service.h"

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;
using rvm::e2e::JsonRecords;
using rvm::e2e::ReadAll;
using rvm::e2e::WriteFrameSequence;
using std::chrono::milliseconds;

const std::string kShared = RVM_SHARED_DIR;
const std::string kKey = "ledger-crash-test-key";
constexpr int kMaxInFlight = 4;
constexpr int kSessionBatch = 10;

// Starts `rvm-edge` with `args` (output appended to files in `dir`);
// `crash_at` arms a crash point (src/base/crash_point.h), "" none.
pid_t SpawnEdge(const std::vector<std::string>& args, const fs::path& dir,
                const std::string& crash_at = "") {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (!std::freopen((dir / "stdout.txt").c_str(), "a", stdout) ||
        !std::freopen((dir / "stderr.txt").c_str(), "a", stderr)) {
      ::_exit(126);
    }
    ::setenv("RVM_EDGE_API_KEY", kKey.c_str(), 1);
    ::setenv("RVM_EDGE_PASSWORD", "secret123", 1);  // the sim's seeded user
    if (!crash_at.empty()) ::setenv("RVM_EDGE_TEST_CRASH_AT", crash_at.c_str(), 1);
    std::string bin = std::string(RVM_BINARY_DIR) + "/rvm-edge";
    std::vector<std::string> copy = args;
    std::vector<char*> argv{bin.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to `limit` for `pid` to end: its waitpid status, or nothing when it
// did not end in time (it is then killed and reaped).
std::optional<int> WaitForExit(pid_t pid, std::chrono::seconds limit) {
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (::waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  return status;
}

class LedgerCrashTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = rvm::e2e::FreshTestDir("rvm_ledger_crash"); }
  void TearDown() override {
    if (sim_) sim_->Stop();
    fs::remove_all(dir_);
  }

  void StartPlatform(rvm::sim::SyncOfflineAuth sync_auth, int port = 0) {
    rvm::sim::PlatformSim::Options options;
    options.port = port;
    options.db_path = (dir_ / "platform.sqlite").string();
    options.machines = {{7, kKey, "RVM-TEST-7", "offline"}};
    options.sync_offline_auth = sync_auth;
    sim_ = std::make_unique<rvm::sim::PlatformSim>(options);
    auto started = sim_->Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
  }

  // A chute sequence: bottles (accepted), a dog (unknown: rejected), several
  // cans at once (rejected), each held in view for a few frames.
  fs::path Sequence() {
    return WriteFrameSequence(dir_ / "seq", kShared + "/images",
                              {{"misc/smartbin_bottle.jpg", 6},
                               {"misc/nanodet_dog.jpg", 6},
                               {"misc/bottle_panlinchao.jpg", 6},
                               {"plain/pdoodp_alu_test_multi.jpg", 6},
                               {"plain/dw_pet_1070.jpg", 6}});
  }

  fs::path WriteConfig(const std::string& name, bool loop, const std::string& extra_uplink) {
    const fs::path path = dir_ / name;
    std::ofstream out(path);
    out << "[machine]\nid = \"rvm-ledger-test\"\n"
        << "[detector]\nmodel_path = \"" << kShared << "/models/yolox_nano.onnx\"\n"
        << "cache_dir = \"" << (dir_ / "cache").string() << "\"\nintra_op_threads = 1\n"
        << "[capture]\nsource = \"images\"\npath = \"" << Sequence().string() << "\"\n"
        << "loop = " << (loop ? "true" : "false") << "\n"
        << "[pipeline]\ninference_workers = 1\n"
        << "[outbox]\ndir = \"" << (dir_ / "outbox").string() << "\"\n"
        << "[uplink]\nbase_url = \"" << sim_->base_url() << "\"\nmachine_id = 7\n"
        << "batch_max_size = " << kSessionBatch << "\nbatch_max_delay_ms = 100\n"
        << "max_in_flight = " << kMaxInFlight << "\n"
        << "retry_backoff_min_ms = 100\nretry_backoff_max_ms = 1000\n"
        << "heartbeat_interval_s = 1\ncircuit_open_ms = 500\ncircuit_max_open_ms = 2000\n"
        << extra_uplink << "[admin]\nport = 0\npulse_port = 0\nprobe_port = 0\n"
        << "[sink]\ndecisions_path = \"" << (dir_ / "decisions.jsonl").string() << "\"\n";
    return path;
  }

  // Deposits (v1) or detection results (v2) in the platform's books.
  size_t BooksCount() const {
    return v2_ ? sim_->store().ListRecords(rvm::sim::RecordKind::kDetectionResult).size()
               : sim_->Deposits().size();
  }

  // N kills at seeded random moments, then one run that ends by itself. The
  // 1st, 3rd, ... run dies at a random moment after its start (model loading
  // included); the 2nd, 4th, ... at a random moment after it has delivered a
  // new record, so every second run is cut short with a session open however
  // slow the machine is.
  void KillAndRecover(int kills, uint32_t seed, const std::string& extra_uplink) {
    fs::remove_all(dir_ / "seq");
    const fs::path looping = WriteConfig("looping.toml", true, extra_uplink);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> kill_after_ms(300, 2500);
    int killed = 0;
    for (int i = 0; i < kills; ++i) {
      const size_t books_before = BooksCount();
      const pid_t pid = SpawnEdge({"run", "--replay", "--config", looping.string()}, dir_);
      ASSERT_GT(pid, 0);
      if (i % 2 == 1) {
        ASSERT_TRUE(rvm::e2e::WaitUntil([&] { return BooksCount() > books_before; }))
            << "cycle " << i << " delivered nothing\n" << ReadAll(dir_ / "stderr.txt");
      }
      std::this_thread::sleep_for(milliseconds(kill_after_ms(rng)));
      ASSERT_EQ(::kill(pid, SIGKILL), 0);
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++killed;
    }
    EXPECT_EQ(killed, kills) << "every cycle ended in a SIGKILL, not an exit\n"
                             << ReadAll(dir_ / "stderr.txt");
    RunToTheEnd(extra_uplink);
  }

  // A run over the sequence once, which must end by itself with exit 0.
  void RunToTheEnd(const std::string& extra_uplink) {
    fs::remove_all(dir_ / "seq");
    const fs::path once = WriteConfig("once.toml", false, extra_uplink);
    const pid_t last =
        SpawnEdge({"run", "--replay", "--config", once.string(), "--drain", "30"}, dir_);
    const std::optional<int> status = WaitForExit(last, std::chrono::seconds(120));
    ASSERT_TRUE(status.has_value()) << "the last run did not end by itself";
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadAll(dir_ / "stderr.txt");
  }

  // The assertions on the books, against what the outbox recorded; re-sends
  // absorbed by the platform's dedupe may be `interruptions` x the bound.
  void CheckBooks(int interruptions) {
    const int kills = interruptions;
    rvm::outbox::OutboxOptions o;
    o.dir = (dir_ / "outbox").string();
    o.read_only = true;
    auto box = rvm::outbox::Outbox::Open(o, rvm::outbox::PosixEnv(), rvm::SteadyClock::Instance());
    ASSERT_TRUE(box.ok()) << box.status().ToString();
    rvm::outbox::ListFilter all;
    all.limit = 1'000'000;
    auto records = (*box)->List(all);
    ASSERT_TRUE(records.ok()) << records.status().ToString();

    std::map<std::string, int> accepted;  // item id -> points decided
    std::set<std::string> rejected;
    std::map<std::string, std::string> session_of;
    int recovered = 0;
    int not_delivered = 0;
    for (const auto& r : *records) {
      if (r.state != rvm::outbox::RecordState::kDelivered) ++not_delivered;
      const auto j = nlohmann::json::parse(r.payload_json);
      if (r.kind == rvm::outbox::RecordKind::kSession) {
        if (j.value("close_reason", "") == "recovered_after_restart") ++recovered;
        continue;
      }
      session_of[r.item_id] = j.at("session_id").get<std::string>();
      if (j.at("accepted").get<bool>()) {
        accepted[r.item_id] = j.at("points").get<int>();
      } else {
        rejected.insert(r.item_id);
      }
    }
    EXPECT_EQ(not_delivered, 0) << "every outbox record delivered";
    EXPECT_GE(accepted.size(), min_accepted_) << "the runs decided enough items to prove anything";
    EXPECT_GE(rejected.size(), 1u) << "the sequence has items to reject";
    // Not every killed run had decided an item (some die loading the model).
    EXPECT_GE(recovered, min_recovered_ >= 0 ? min_recovered_ : std::max(1, kills / 4))
        << "sessions cut short by the kills were recovered";

    std::map<std::string, int> deposits;
    const nlohmann::json books =
        v2_ ? sim_->store().ListRecords(rvm::sim::RecordKind::kDetectionResult) : sim_->Deposits();
    for (const auto& d : books) ++deposits[d.at("item_id").get<std::string>()];
    EXPECT_EQ(deposits.size(), accepted.size() + rejected.size()) << "every deposit in the books";
    for (const auto& [id, n] : deposits) {
      EXPECT_EQ(n, 1) << "deposit " << id << " is in the books " << n << " times";
      EXPECT_TRUE(accepted.count(id) || rejected.count(id)) << id << " was never decided";
    }

    rvm::uplink::DeliveryOptions d;
    d.max_in_flight = kMaxInFlight;
    d.session_batch.max_records = kSessionBatch;
    const auto dup = sim_->Stats()["duplicates"];
    const int64_t resent = dup.at("total").get<int64_t>();
    // v2 sends two requests per record (upload, detection result).
    const int64_t bound = int64_t{kills} * rvm::uplink::InFlightBound(d) * (v2_ ? 2 : 1);
    EXPECT_LE(resent, bound)
        << "re-sends absorbed by the dedupe: " << dup.dump();
    if (v2_) {
      // v2 has no ledger endpoint: the detection result is the item's record
      // on the platform, and summaries stay local (delivered without a request).
      EXPECT_TRUE(sim_->Transactions().empty());
      RecordProperty("accepted", static_cast<int>(accepted.size()));
      return;
    }
    std::map<std::string, int> credited;  // item id -> ledger rows
    std::set<std::string> ledger_sessions;
    for (const auto& t : sim_->Transactions()) {
      const std::string sid = t.at("session_id").get<std::string>();
      EXPECT_TRUE(ledger_sessions.insert(sid).second) << "session " << sid << " twice";
      for (const auto& item : t.at("items")) {
        const std::string id = item.at("item_id").get<std::string>();
        ++credited[id];
        EXPECT_EQ(session_of[id], sid) << id << " credited in another session";
        if (accepted.count(id)) {
          EXPECT_EQ(item.at("points").get<int>(), accepted[id]) << id;
        }
      }
    }
    int uncredited = 0;
    for (const auto& [id, points] : accepted) {
      if (credited[id] == 0) ++uncredited;
      EXPECT_LE(credited[id], 1) << id << " credited " << credited[id] << " times";
    }
    EXPECT_EQ(uncredited, 0) << "accepted items never credited, of " << accepted.size();
    for (const auto& id : rejected) EXPECT_EQ(credited.count(id), 0u) << id << " was rejected";

    std::printf(
        "ledger crash proof: %d kills, %zu accepted + %zu rejected items, %d sessions recovered, "
        "%zu ledger transactions, %lld re-sends absorbed (bound %d)\n",
        kills, accepted.size(), rejected.size(), recovered, ledger_sessions.size(),
        static_cast<long long>(resent), static_cast<int>(bound));
    RecordProperty("accepted", static_cast<int>(accepted.size()));
    RecordProperty("recovered_sessions", recovered);
    RecordProperty("resent", static_cast<int>(resent));
  }

  fs::path dir_;
  std::unique_ptr<rvm::sim::PlatformSim> sim_;
  int min_recovered_ = -1;  // sessions recovered at least; -1: a quarter of the kills
  size_t min_accepted_ = 10;  // accepted items at least (fewer runs, fewer items)
  bool v2_ = false;
};

TEST_F(LedgerCrashTest, EveryAcceptedItemIsCreditedOnceAcrossTwentySigkillsWithTheKeyVariant) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  KillAndRecover(20, 20260312, "");
  ASSERT_FALSE(HasFatalFailure());
  CheckBooks(20);
}

TEST_F(LedgerCrashTest, EveryAcceptedItemIsCreditedOnceAcrossSigkillsWithTheBearerVariant) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kBearer);
  auto token = sim_->store().IssueToken(1, 0);  // the seeded user's
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  min_accepted_ = 2;
  KillAndRecover(6, 7,
                 "sync_offline_auth = \"bearer\"\nemail = \"device@example.com\"\ntoken = \"" +
                     *token + "\"\n");
  ASSERT_FALSE(HasFatalFailure());
  CheckBooks(6);
}

TEST_F(LedgerCrashTest, EveryDecidedItemReachesAV2PlatformOnceAcrossSigkills) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  v2_ = true;
  min_accepted_ = 2;
  KillAndRecover(6, 11, "contract = \"v2\"\nemail = \"device@example.com\"\n");
  ASSERT_FALSE(HasFatalFailure());
  CheckBooks(6);
}

// A clean stop: SIGTERM in the middle of a live run finishes the item in flight, closes the
// session and drains it before exiting 0, so nothing is left for a later run; no second run here.
TEST_F(LedgerCrashTest, ASigtermMidRunClosesTheSessionAndDeliversItBeforeExitingZero) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  const fs::path looping = WriteConfig("looping.toml", true, "");
  const pid_t pid = SpawnEdge({"run", "--replay", "--config", looping.string(), "--drain", "20"}, dir_);
  ASSERT_GT(pid, 0);
  // Let it decide and deliver items, then stop it as systemd would.
  ASSERT_TRUE(rvm::e2e::WaitUntil([&] { return sim_->Deposits().size() >= 8; }))
      << ReadAll(dir_ / "stderr.txt");
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  const std::optional<int> status = WaitForExit(pid, std::chrono::seconds(40));
  ASSERT_TRUE(status.has_value()) << "SIGTERM did not stop the run: " << ReadAll(dir_ / "stderr.txt");
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadAll(dir_ / "stderr.txt");
  min_recovered_ = 0;
  min_accepted_ = 1;
  CheckBooks(0);  // every record delivered, each accepted item credited once, no re-send
}

// Chaos test 3: a kill (as a power cut would: every commit before it was
// fsynced) at chosen commit points: after a decision's commit, after a
// session summary's commit (reached by the start-up recovery), after the
// platform's acknowledgement (before it is marked), and after it is marked. Each run dies exactly there; a last
// run ends by itself; the books are as after random kills.
TEST_F(LedgerCrashTest, AKillAtEachCommitPointLosesNoCreditAndDoublesNone) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  const fs::path looping = WriteConfig("looping.toml", true, "");
  // summary_committed:1 right after a kill is reached by the start-up
  // recovery: it dies having written the recovered summary, and the next
  // start must not write a second one.
  const std::vector<std::string> points = {
      "decision_committed",   "summary_committed:1",  "platform_acknowledged",
      "delivery_marked",      "decision_committed:1", "summary_committed:1",
      "platform_acknowledged:1"};
  int kills = 0;
  for (const std::string& p : points) {
    const std::string spec = p.find(':') == std::string::npos ? p + ":3" : p;
    const pid_t pid = SpawnEdge({"run", "--replay", "--config", looping.string()}, dir_, spec);
    ASSERT_GT(pid, 0);
    const std::optional<int> status = WaitForExit(pid, std::chrono::seconds(60));
    ASSERT_TRUE(status.has_value()) << spec << " was never reached";
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL)
        << spec << ": the run ended otherwise\n"
        << ReadAll(dir_ / "stderr.txt");
    ++kills;
  }
  RunToTheEnd("");
  ASSERT_FALSE(HasFatalFailure());
  min_recovered_ = 2;
  min_accepted_ = 2;
  CheckBooks(kills);
}

// Chaos test 2: the platform is killed for ~10 s during a live run and comes
// back on the same port with the same database. Nothing is lost or doubled,
// the backlog clears in order, and the circuit breaker and heartbeat recover
// by themselves (the platform hears heartbeats again while the run goes on;
// the heartbeat's backoff after the outage may be several seconds, so the run
// lasts until then and is stopped with SIGTERM, a clean stop).
TEST_F(LedgerCrashTest, ThePlatformDownForTenSecondsLosesNothingAndDoublesNothing) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  const int port = sim_->port();
  const fs::path looping = WriteConfig("looping.toml", true, "");
  const pid_t pid =
      SpawnEdge({"run", "--replay", "--config", looping.string(), "--max-seconds", "75",
                 "--drain", "20"},
                dir_);
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const size_t before = sim_->Deposits().size();
  sim_->Stop();
  sim_.reset();  // the platform is gone: connections refused
  std::this_thread::sleep_for(std::chrono::seconds(10));
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey, port);
  const size_t heartbeats_before =
      sim_->store().ListRecords(rvm::sim::RecordKind::kHeartbeat).size();
  EXPECT_TRUE(rvm::e2e::WaitUntil(
      [&] {
        return sim_->store().ListRecords(rvm::sim::RecordKind::kHeartbeat).size() >
               heartbeats_before;
      },
      std::chrono::seconds(45)))
      << "the heartbeat came back by itself";
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  const std::optional<int> status = WaitForExit(pid, std::chrono::seconds(90));
  ASSERT_TRUE(status.has_value()) << "the run did not end";
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadAll(dir_ / "stderr.txt");
  EXPECT_GT(before, 0u) << "items were delivered before the outage";
  // The books keep the machine's order: seq order of the outbox.
  std::vector<std::string> received;
  for (const auto& d : sim_->Deposits()) received.push_back(d.at("item_id").get<std::string>());
  std::vector<std::string> decided;
  for (const auto& j : JsonRecords(dir_ / "decisions.jsonl", "decision")) {
    decided.push_back(j.at("item_id").get<std::string>());
  }
  // In order: with a window of W requests in flight an item can reach the
  // books at most W - 1 places ahead of an earlier one (docs/uplink.md).
  std::map<std::string, int> rank;
  for (size_t i = 0; i < decided.size(); ++i) rank[decided[i]] = static_cast<int>(i);
  EXPECT_EQ(received.size(), decided.size());
  for (size_t i = 0; i < received.size(); ++i) {
    for (size_t j = i + 1; j < received.size(); ++j) {
      EXPECT_GE(rank[received[j]], rank[received[i]] - (kMaxInFlight - 1))
          << received[j] << " arrived after " << received[i];
    }
  }
  min_recovered_ = 0;
  CheckBooks(1);
}

// Chaos test 4: platform faults during a live run (5xx, latency, connection
// resets, hung answers, 429 with Retry-After, JSON cut short). Nothing lost,
// nothing doubled, nothing parked (every fault is retried), and re-sends
// within the bound for the faults that let a request through.
TEST_F(LedgerCrashTest, PlatformFaultsDuringALiveRunLoseNothingAndParkNothing) {
  StartPlatform(rvm::sim::SyncOfflineAuth::kKey);
  rvm::sim::FaultSettings f;
  f.latency_ms = 20;
  f.error.rate = 0.08;
  f.reset.rate = 0.04;
  f.hang.rate = 0.02;
  f.hang_ms = 3000;
  f.rate_limit.rate = 0.05;
  f.retry_after_s = 1;
  f.malformed_json.rate = 0.03;
  f.seed = 4242;
  sim_->SetFaults(f);
  const fs::path looping =
      WriteConfig("looping.toml", true, "request_timeout_ms = 1000\nconnect_timeout_ms = 500\n");
  const pid_t pid = SpawnEdge(
      {"run", "--replay", "--config", looping.string(), "--max-seconds", "15", "--drain", "60"},
      dir_);
  ASSERT_GT(pid, 0);
  const std::optional<int> status = WaitForExit(pid, std::chrono::seconds(120));
  ASSERT_TRUE(status.has_value()) << "the run did not end";
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << ReadAll(dir_ / "stderr.txt");
  const auto injected = sim_->Stats()["faults_injected"];
  int64_t through = 0;  // faults after which the request may have been stored
  for (const char* kind : {"reset", "hang", "malformed_json"}) {
    through += injected.value(kind, int64_t{0});
  }
  int64_t faults = 0;
  for (const char* kind : {"reset", "hang", "rate_limit", "error", "malformed_json"}) {
    faults += injected.value(kind, int64_t{0});
  }
  EXPECT_GE(faults, 5) << "faults were injected: " << injected.dump();
  sim_->SetFaults(rvm::sim::FaultSettings{});
  min_recovered_ = 0;
  CheckBooks(static_cast<int>(std::max<int64_t>(1, through)));
}

}  // namespace
