// End-to-end: `rvm-edge run` delivering to a local platform (an in-process
// rvm-platform-sim on a free loopback port). The real binary, real HTTP,
// real SQLite on both sides.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "outbox/env.h"
#include "outbox/outbox.h"
#include "platform_sim/platform_sim.h"

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;
using rvm::e2e::JsonRecords;
using rvm::e2e::ReadAll;
using rvm::e2e::WriteFrameSequence;
using Clock = std::chrono::steady_clock;

const std::string kShared = RVM_SHARED_DIR;
const std::string kModel = kShared + "/models/yolox_nano.onnx";
const std::string kKey = "run-platform-test-key";

// Runs rvm-edge with `args` (stdout and stderr to files in `dir`); the exit
// code, or -1 when it did not finish within `limit` (it is killed).
int RunEdge(const std::vector<std::string>& args, const fs::path& dir,
            std::chrono::seconds limit = std::chrono::seconds(120)) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const fs::path out = dir / "stdout.txt";
    const fs::path err = dir / "stderr.txt";
    if (!std::freopen(out.c_str(), "a", stdout) || !std::freopen(err.c_str(), "a", stderr)) {
      ::_exit(126);
    }
    ::setenv("RVM_EDGE_API_KEY", kKey.c_str(), 1);
    std::string bin = std::string(RVM_BINARY_DIR) + "/rvm-edge";
    std::vector<std::string> copy = args;
    std::vector<char*> argv{bin.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

class RunPlatformTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = rvm::e2e::FreshTestDir("rvm_run_platform"); }
  void TearDown() override {
    if (sim_) sim_->Stop();
    fs::remove_all(dir_);
  }

  // Starts the platform with the database in the test directory (a restart
  // keeps what it stored).
  std::string StartPlatform(int port = 0) {
    rvm::sim::PlatformSim::Options options;
    options.port = port;
    options.db_path = (dir_ / "platform.sqlite").string();
    options.machines = {{7, kKey, "RVM-TEST-7", "offline"}};
    sim_ = std::make_unique<rvm::sim::PlatformSim>(options);
    auto started = sim_->Start();
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    return sim_->base_url();
  }

  // A frame sequence: a bottle held in view, a scene without items, then
  // three bottles at once.
  fs::path Sequence() {
    return WriteFrameSequence(dir_ / "seq", kShared + "/images",
                              {{"misc/smartbin_bottle.jpg", 6},
                               {"misc/bottle_panlinchao.jpg", 6},
                               {"plain/pdoodp_alu_test_multi.jpg", 6}});
  }

  std::vector<std::string> RunArgs(const fs::path& seq, const std::string& platform,
                                   const fs::path& decisions, const std::string& drain = "10") {
    return {"run",          "--replay",
            "--model",      kModel,
            "--source",     "images",
            "--path",       seq.string(),
            "--decisions",  decisions.string(),
            "--outbox",     (dir_ / "outbox").string(),
            "--platform",   platform,
            "--drain",      drain,
            "--admin-port", "0"};
  }

  fs::path dir_;
  std::unique_ptr<rvm::sim::PlatformSim> sim_;
};

// Every decision the service wrote reaches the platform once, in order, with
// its item id as the idempotency key.
TEST_F(RunPlatformTest, EveryDecisionReachesThePlatformOnceInOrder) {
  const std::string platform = StartPlatform();
  const fs::path decisions = dir_ / "decisions.jsonl";
  ASSERT_EQ(RunEdge(RunArgs(Sequence(), platform, decisions), dir_), 0)
      << ReadAll(dir_ / "stderr.txt");
  const auto written = JsonRecords(decisions, "decision");
  ASSERT_GE(written.size(), 2u) << ReadAll(dir_ / "stderr.txt");

  const nlohmann::json deposits = sim_->Deposits();
  std::vector<std::string> received;
  for (const auto& d : deposits) received.push_back(d.at("item_id").get<std::string>());
  std::vector<std::string> expected;
  for (const auto& d : written) expected.push_back(d.at("item_id").get<std::string>());
  EXPECT_EQ(received, expected) << deposits.dump(1);
  for (const auto& d : deposits) EXPECT_EQ(d.at("machine_id").get<int64_t>(), 7);
  // The session's transaction arrived too, and the platform saw no duplicate.
  EXPECT_GE(sim_->Transactions().size(), 1u);
  const std::string err = ReadAll(dir_ / "stderr.txt");
  EXPECT_NE(err.find("this run, 0 pending"), std::string::npos) << err;
}

// With the platform down the records wait in the outbox; the next run
// delivers that backlog before (and with) its own records.
TEST_F(RunPlatformTest, RecordsWrittenWhileThePlatformIsDownAreDeliveredWhenItReturns) {
  // A port nothing listens on: bind one, then free it.
  const std::string url = StartPlatform();
  const int port = sim_->port();
  sim_->Stop();
  sim_.reset();

  const fs::path first = dir_ / "first.jsonl";
  ASSERT_EQ(RunEdge(RunArgs(Sequence(), url, first, "0.5"), dir_), 0)
      << ReadAll(dir_ / "stderr.txt");
  const auto offline = JsonRecords(first, "decision");
  ASSERT_GE(offline.size(), 2u);
  const std::string err = ReadAll(dir_ / "stderr.txt");
  EXPECT_EQ(err.find("this run, 0 pending"), std::string::npos)
      << "records should be waiting: " << err;

  StartPlatform(port);
  const fs::path second = dir_ / "second.jsonl";
  fs::remove_all(dir_ / "seq");
  ASSERT_EQ(RunEdge(RunArgs(Sequence(), url, second), dir_), 0) << ReadAll(dir_ / "stderr.txt");
  const auto online = JsonRecords(second, "decision");

  std::vector<std::string> expected;
  for (const auto& d : offline) expected.push_back(d.at("item_id").get<std::string>());
  for (const auto& d : online) expected.push_back(d.at("item_id").get<std::string>());
  std::vector<std::string> received;
  for (const auto& d : sim_->Deposits()) received.push_back(d.at("item_id").get<std::string>());
  EXPECT_EQ(received, expected);
}

// The decisions file is a side log; the outbox is the record. With the file
// on a full disk (/dev/full; a closed stdout pipe is the same) every item is
// still taken (recorded), none is reported "not taken", and the platform's
// books show each deposit once and credit each accepted item once with its
// points, in this run's own session summary (none is left for the next
// start to recover). The bottles are accepted; the street scene between
// them (a dog, a bicycle, a car), which keeps them apart as items, is
// rejected and credited nothing.
TEST_F(RunPlatformTest, AFailingDecisionsFileLosesNoItemAndCreditsEachOnce) {
  const std::string platform = StartPlatform();
  const fs::path seq = WriteFrameSequence(dir_ / "seq", kShared + "/images",
                                          {{"misc/smartbin_bottle.jpg", 6},
                                           {"misc/nanodet_dog.jpg", 6},
                                           {"misc/smartbin_bottle.jpg", 6},
                                           {"misc/nanodet_dog.jpg", 6},
                                           {"misc/smartbin_bottle.jpg", 6}});
  ASSERT_EQ(RunEdge(RunArgs(seq, platform, "/dev/full"), dir_), 0) << ReadAll(dir_ / "stderr.txt");
  const std::string err = ReadAll(dir_ / "stderr.txt");
  EXPECT_EQ(err.find("not taken"), std::string::npos) << err;
  EXPECT_NE(err.find(" 0 not recorded"), std::string::npos) << err;
  size_t warnings = 0;
  for (size_t at = err.find("side log failing"); at != std::string::npos;
       at = err.find("side log failing", at + 1)) {
    ++warnings;
  }
  EXPECT_EQ(warnings, 1u) << "logged once, not once per record\n" << err;
  EXPECT_NE(err.find("this run, 0 pending"), std::string::npos) << err;

  // What the outbox committed: every item decided, one summary that closed
  // normally, everything delivered.
  rvm::outbox::OutboxOptions o;
  o.dir = (dir_ / "outbox").string();
  o.read_only = true;
  auto box = rvm::outbox::Outbox::Open(o, rvm::outbox::PosixEnv(), rvm::SteadyClock::Instance());
  ASSERT_TRUE(box.ok()) << box.status().ToString();
  auto records = (*box)->List({.limit = 1000});
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  std::map<std::string, int> accepted;  // item id -> points
  std::set<std::string> rejected;
  int summaries = 0;
  for (const auto& r : *records) {
    EXPECT_EQ(r.state, rvm::outbox::RecordState::kDelivered) << r.item_id;
    const auto j = nlohmann::json::parse(r.payload_json);
    if (r.kind == rvm::outbox::RecordKind::kSession) {
      ++summaries;
      EXPECT_EQ(j.value("close_reason", ""), "closed") << j.dump();
      continue;
    }
    if (j.at("accepted").get<bool>()) {
      accepted[r.item_id] = j.at("points").get<int>();
    } else {
      rejected.insert(r.item_id);
    }
  }
  ASSERT_GE(accepted.size(), 2u) << err;
  EXPECT_EQ(summaries, 1);
  // Every item the run decided is in the outbox: the closing summary line
  // counts them ("N decisions (M accepted), 0 not recorded").
  EXPECT_NE(err.find(std::to_string(accepted.size() + rejected.size()) + " decisions (" +
                     std::to_string(accepted.size()) + " accepted), 0 not recorded"),
            std::string::npos)
      << err;

  // The platform's books.
  std::map<std::string, int> deposits;
  for (const auto& d : sim_->Deposits()) ++deposits[d.at("item_id").get<std::string>()];
  EXPECT_EQ(deposits.size(), accepted.size() + rejected.size());
  for (const auto& [id, n] : deposits) {
    EXPECT_EQ(n, 1) << id;
    EXPECT_TRUE(accepted.count(id) || rejected.count(id)) << id << " was never committed";
  }
  std::map<std::string, int> credited;
  int points = 0;
  for (const auto& t : sim_->Transactions()) {
    for (const auto& item : t.at("items")) {
      const std::string id = item.at("item_id").get<std::string>();
      ++credited[id];
      if (rejected.count(id)) {
        EXPECT_EQ(item.at("points").get<int>(), 0) << id << " was rejected";
        continue;
      }
      EXPECT_EQ(item.at("points").get<int>(), accepted[id]) << id;
      points += item.at("points").get<int>();
    }
  }
  int expected_points = 0;
  for (const auto& [id, p] : accepted) {
    EXPECT_EQ(credited[id], 1) << id << " credited " << credited[id] << " times";
    expected_points += p;
  }
  EXPECT_EQ(points, expected_points);
  EXPECT_GT(points, 0);
  EXPECT_EQ(sim_->Stats()["duplicates"]["total"].get<int64_t>(), 0);
}

}  // namespace
