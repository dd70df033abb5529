// End-to-end operations tests of `rvm-edge run`: the real binary with its
// admin server, heartbeat and signal handling, against an in-process
// rvm-platform-sim. Each test waits on observable state (HTTP answers, log
// lines), never on fixed sleeps alone.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "platform_sim/platform_sim.h"

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;
using rvm::e2e::JsonRecords;
using rvm::e2e::ReadAll;
using rvm::e2e::WaitUntil;
using rvm::e2e::WriteFrameSequence;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

const std::string kShared = RVM_SHARED_DIR;
const std::string kModel = kShared + "/models/yolox_nano.onnx";
const std::string kKey = "run-ops-test-key";
const std::string kToken = "run-ops-admin-token-0123456789";

class RunOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = rvm::e2e::FreshTestDir("rvm_run_ops");
    rvm::sim::PlatformSim::Options options;
    options.port = 0;
    options.db_path = ":memory:";
    options.machines = {{9, kKey, "RVM-OPS-9", "offline"}};
    sim_ = std::make_unique<rvm::sim::PlatformSim>(options);
    auto started = sim_->Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    sim_->Stop();
    fs::remove_all(dir_);
  }

  // A configuration: an endless synthetic camera, the platform, the admin
  // server on any free port with a token, a 1 s heartbeat.
  fs::path WriteConfig(double conf_threshold) {
    const fs::path p = dir_ / "rvm.toml";
    std::ofstream(p) << "[machine]\nid = \"ops-test\"\n"
                     << "[detector]\nmodel_path = \"" << kModel << "\"\ncache_dir = \"\"\n"
                     << "conf_threshold = " << conf_threshold << "\n"
                     << "[capture]\nsource = \"synthetic\"\nwidth = 320\nheight = 240\n"
                     << "[outbox]\ndir = \"" << (dir_ / "outbox").string() << "\"\n"
                     << "[uplink]\nbase_url = \"" << sim_->base_url() << "\"\n"
                     << "heartbeat_interval_s = 1\n"
                     << "[admin]\nport = 0\n"
                     << "[sink]\ndecisions_path = \"" << (dir_ / "decisions.jsonl").string()
                     << "\"\n";
    return p;
  }

  // A configuration: the pictures of the folder `chute`, watched or not, the
  // platform, the admin server on any free port without a token, and `more`
  // lines appended (a [sink] or [uplink] key; the [uplink] table is last).
  fs::path WriteFolderConfig(const fs::path& chute, const std::string& more = "",
                             bool watch = true) {
    const fs::path p = dir_ / "rvm.toml";
    std::ofstream(p) << "[machine]\nid = \"ops-test\"\n"
                     << "[detector]\nmodel_path = \"" << kModel << "\"\ncache_dir = \"\"\n"
                     << "[capture]\nsource = \"images\"\npath = \"" << chute.string()
                     << "\"\nwatch = " << (watch ? "true" : "false") << "\n"
                     << "[outbox]\ndir = \"" << (dir_ / "outbox").string() << "\"\n"
                     << "[admin]\nport = 0\n"
                     << "[uplink]\nbase_url = \"" << sim_->base_url() << "\"\n"
                     << more;
    return p;
  }

  // Starts the service (with `more` arguments after the configuration);
  // returns once its admin server answers.
  void Start(const fs::path& config, const std::vector<std::string>& more = {}) {
    std::vector<std::string> args = {"run", "--config", config.string()};
    args.insert(args.end(), more.begin(), more.end());
    pid_ = rvm::e2e::SpawnRvmEdge(args, dir_ / "stderr.txt",
                                  {{"RVM_EDGE_API_KEY", kKey}, {"RVM_EDGE_ADMIN_TOKEN", kToken}});
    const std::regex url(R"(admin server on http://127\.0\.0\.1:(\d+))");
    ASSERT_TRUE(WaitUntil([&] {
      std::smatch m;
      const std::string err = ReadAll(dir_ / "stderr.txt");
      if (!std::regex_search(err, m, url)) return false;
      admin_port_ = std::stoi(m[1].str());
      return true;
    })) << ReadAll(dir_ / "stderr.txt");
  }

  // An empty chute as the camera would see it beside `photo`: a grey picture
  // of its size, nothing to detect.
  fs::path WriteEmptyChuteLike(const std::string& photo) {
    const fs::path empty = dir_ / "empty.jpg";
    const cv::Mat image = cv::imread(photo);
    EXPECT_FALSE(image.empty()) << photo;
    EXPECT_TRUE(
        cv::imwrite(empty.string(), cv::Mat(image.size(), CV_8UC3, cv::Scalar(90, 90, 90))));
    return empty;
  }

  // The platform's books hold the items `decided` (all accepted), each
  // deposited in that order and credited once, and nothing else.
  void ExpectDepositedAndCreditedOnce(const std::vector<json>& decided) {
    std::vector<std::string> ids;
    for (const json& d : decided) {
      EXPECT_TRUE(d.value("accepted", false)) << d.dump();
      ids.push_back(d.at("item_id").get<std::string>());
    }
    std::vector<std::string> deposited;
    for (const json& d : sim_->Deposits()) deposited.push_back(d.at("item_id").get<std::string>());
    EXPECT_EQ(deposited, ids) << sim_->Deposits().dump(1);
    std::map<std::string, int> credited;
    for (const json& t : sim_->Transactions()) {
      for (const json& item : t.at("items")) ++credited[item.at("item_id").get<std::string>()];
    }
    EXPECT_EQ(credited.size(), ids.size()) << sim_->Transactions().dump(1);
    for (const auto& [id, n] : credited) EXPECT_EQ(n, 1) << id;
  }

  json Status() {
    httplib::Client c("127.0.0.1", admin_port_);
    auto r = c.Get("/api/status");
    if (!r || r->status != 200) return json();
    return json::parse(r->body, nullptr, false);
  }

  // Stops the service with SIGTERM; its exit code.
  int Stop() { return rvm::e2e::TerminateAndWait(pid_); }

  fs::path dir_;
  std::unique_ptr<rvm::sim::PlatformSim> sim_;
  pid_t pid_ = -1;
  int admin_port_ = 0;
};

// A bottle lies in the chute across a restart. The pipeline before the
// restart decided it; the one after it sees the same bottle and must not
// decide it again. Once it has gone, a bottle put in the same place is a new
// item. In the platform's books: two deposits, each once, and nothing more.
// (Watched directory of frames, every frame detected.)
TEST_F(RunOpsTest, AnItemInTheChuteAcrossARestartIsDecidedAndCreditedOnce) {
  const std::string bottle = kShared + "/images/misc/smartbin_bottle.jpg";
  const fs::path empty = WriteEmptyChuteLike(bottle);
  const fs::path chute = dir_ / "chute";
  fs::create_directories(chute);
  int next = 0;
  auto put = [&](const std::string& image, int frames) {
    for (int i = 0; i < frames; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "frame_%03d.jpg", next++);
      fs::create_symlink(image, chute / name);
    }
  };
  const fs::path config = WriteFolderConfig(
      chute, "[sink]\ndecisions_path = \"" + (dir_ / "decisions.jsonl").string() + "\"\n");
  const fs::path err = dir_ / "stderr.txt";
  auto decisions = [&] { return JsonRecords(dir_ / "decisions.jsonl", "decision"); };

  put(bottle, 20);  // put in, lying still: decided once it settles
  Start(config, {"--replay", "--drain", "10"});
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    return decisions().size() == 1 && s.is_object() &&
           s["pipeline"].value("frames_tracked", 0) >= 20;
  })) << ReadAll(err);

  httplib::Client c("127.0.0.1", admin_port_);
  httplib::Headers auth = {{"Authorization", "Bearer " + kToken}};
  auto restarted = c.Post("/api/restart", auth, "", "application/json");
  ASSERT_TRUE(restarted);
  ASSERT_EQ(restarted->status, 200) << restarted->body;
  ASSERT_EQ(Status().value("pipeline_restarts", 0), 1);

  put(bottle, 20);         // the same bottle, still there
  put(empty.string(), 8);  // taken away
  put(bottle, 20);         // a new bottle in the same place
  put(empty.string(), 8);
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    return s.is_object() && s["pipeline"].value("frames_tracked", 0) >= 56;
  })) << Status().dump()
      << ReadAll(err);
  EXPECT_EQ(Stop(), 0) << ReadAll(err);

  const std::vector<json> decided = decisions();
  ASSERT_EQ(decided.size(), 2u) << ReadAll(dir_ / "decisions.jsonl");
  ExpectDepositedAndCreditedOnce(decided);
}

// A picture dropped into a watched folder that cannot be decoded is skipped,
// named in the log, and counted where an operator looks: /api/status,
// /metrics and the heartbeat's health_metrics. The machine stays ready.
TEST_F(RunOpsTest, AnUndecodablePictureIsSkippedAndCountedOnStatusMetricsAndHeartbeat) {
  const fs::path chute = dir_ / "chute";
  fs::create_directories(chute);
  std::ofstream(chute / "frame_000.jpg") << "not a picture";
  ASSERT_TRUE(cv::imwrite((chute / "frame_001.jpg").string(),
                          cv::Mat(240, 320, CV_8UC3, cv::Scalar(90, 90, 90))));
  const fs::path config = WriteFolderConfig(chute, "heartbeat_interval_s = 1\n");
  const fs::path err = dir_ / "stderr.txt";
  Start(config, {"--replay"});
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    return s.is_object() && s.value("images_skipped", 0) == 1 &&
           s["pipeline"].value("frames_tracked", 0) >= 1;
  })) << Status().dump()
      << ReadAll(err);

  httplib::Client c("127.0.0.1", admin_port_);
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("\nrvm_images_skipped_total 1\n"), std::string::npos)
      << metrics->body;
  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  auto last_heartbeat = [&] {
    const json rows = sim_->store().ListRecords(rvm::sim::RecordKind::kHeartbeat);
    return rows.empty() ? json() : rows.back()["payload"];
  };
  ASSERT_TRUE(WaitUntil([&] {
    const json hb = last_heartbeat();
    return hb.is_object() && hb["health_metrics"].value("images_skipped", 0) == 1;
  })) << last_heartbeat().dump();
  EXPECT_EQ(Stop(), 0) << ReadAll(err);
  EXPECT_NE(ReadAll(err).find("skipped image '" + (chute / "frame_000.jpg").string() + "'"),
            std::string::npos)
      << ReadAll(err);
}

// The platform queues MAINTENANCE; the next heartbeat brings it, the machine
// enters maintenance (status and readiness say so) and reports the result;
// EXIT_MAINTENANCE brings it back.
TEST_F(RunOpsTest, PlatformCommandsReachTheServiceThroughTheHeartbeat) {
  Start(WriteConfig(0.3));
  ASSERT_TRUE(sim_->QueueCommand(9, "MAINTENANCE").ok());
  ASSERT_TRUE(WaitUntil([&] { return Status().value("maintenance", false); }))
      << ReadAll(dir_ / "stderr.txt");
  httplib::Client c("127.0.0.1", admin_port_);
  auto ready = c.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503) << ready->body;
  EXPECT_NE(ready->body.find("maintenance"), std::string::npos) << ready->body;
  // The command's result comes back with a later heartbeat.
  ASSERT_TRUE(WaitUntil([&] {
    return sim_->store().ListCommandResults().dump().find("MAINTENANCE") != std::string::npos;
  })) << sim_->store().ListCommandResults().dump();

  ASSERT_TRUE(sim_->QueueCommand(9, "EXIT_MAINTENANCE").ok());
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    return s.is_object() && !s.value("maintenance", true) && s.value("accepting", false);
  })) << ReadAll(dir_ / "stderr.txt");
  EXPECT_EQ(Stop(), 0) << ReadAll(dir_ / "stderr.txt");
}

// A replay restarted starts over: the item it had decided, still in view
// when the restart came, is its first item again and is decided again, as in
// the first play. (Nothing decided before the restart is followed into a
// replay; over a watched folder it is, as the test above shows.) In the
// platform's books: two deposits, each once.
TEST_F(RunOpsTest, ARestartedReplayStartsOverAndDecidesItsFirstItemAgain) {
  const std::string bottle = kShared + "/images/misc/smartbin_bottle.jpg";
  const fs::path empty = WriteEmptyChuteLike(bottle);
  fs::create_symlink(bottle, dir_ / "bottle.jpg");  // beside it, for the sequence
  constexpr int kBottleFrames = 300;
  const fs::path chute =
      WriteFrameSequence(dir_ / "chute", dir_.string(),
                         {{"bottle.jpg", kBottleFrames}, {empty.filename().string(), 8}});
  const fs::path config = WriteFolderConfig(
      chute, "[sink]\ndecisions_path = \"" + (dir_ / "decisions.jsonl").string() + "\"\n",
      /*watch=*/false);
  const fs::path err = dir_ / "stderr.txt";
  auto decisions = [&] { return JsonRecords(dir_ / "decisions.jsonl", "decision"); };

  Start(config, {"--replay", "--drain", "10"});
  int tracked_at_restart = 0;
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    if (decisions().size() != 1 || !s.is_object()) return false;
    tracked_at_restart = s["pipeline"].value("frames_tracked", 0);
    return true;
  })) << ReadAll(err);
  // The bottle is still in view: the replay is far from its empty frames.
  ASSERT_LT(tracked_at_restart, kBottleFrames / 2) << ReadAll(err);
  httplib::Client c("127.0.0.1", admin_port_);
  httplib::Headers auth = {{"Authorization", "Bearer " + kToken}};
  auto restarted = c.Post("/api/restart", auth, "", "application/json");
  ASSERT_TRUE(restarted);
  ASSERT_EQ(restarted->status, 200) << restarted->body;

  // The replay plays to its end again and the service ends with it.
  int status = 0;
  ASSERT_TRUE(WaitUntil([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; })) << ReadAll(err);
  pid_ = -1;
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << ReadAll(err);

  const std::vector<json> decided = decisions();
  ASSERT_EQ(decided.size(), 2u) << ReadAll(dir_ / "decisions.jsonl");
  EXPECT_NE(decided[0].at("item_id"), decided[1].at("item_id"));
  ExpectDepositedAndCreditedOnce(decided);
}

// RESTART from the platform rebuilds the pipeline over the same frame
// source; frames keep coming afterwards.
TEST_F(RunOpsTest, ARestartCommandRebuildsThePipelineAndFramesKeepComing) {
  Start(WriteConfig(0.3));
  ASSERT_TRUE(sim_->QueueCommand(9, "RESTART").ok());
  ASSERT_TRUE(WaitUntil([&] { return Status().value("pipeline_restarts", 0) >= 1; }))
      << ReadAll(dir_ / "stderr.txt");
  ASSERT_TRUE(WaitUntil([&] {
    const json s = Status();
    const int64_t age = s.value("last_frame_age_ms", int64_t{-1});
    return age >= 0 && age < 2000;
  })) << Status().dump();
  EXPECT_EQ(Stop(), 0) << ReadAll(dir_ / "stderr.txt");
}

// SIGHUP re-reads the file: a new confidence threshold applies at once, a
// key that needs a restart is named and left alone.
TEST_F(RunOpsTest, SighupAppliesRunTimeKeysAndNamesTheOnesThatNeedARestart) {
  const fs::path config = WriteConfig(0.3);
  Start(config);
  ASSERT_NEAR(Status().value("conf_threshold", 0.0), 0.3, 1e-9);
  std::string text = ReadAll(config);
  text.replace(text.find("conf_threshold = 0.3"), 20, "conf_threshold = 0.55");
  text.replace(text.find("id = \"ops-test\""), 15, "id = \"ops-other\"");
  std::ofstream(config) << text;
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  ASSERT_TRUE(WaitUntil([&] {
    return ReadAll(dir_ / "stderr.txt").find("configuration reloaded") != std::string::npos;
  })) << ReadAll(dir_ / "stderr.txt");
  const std::string err = ReadAll(dir_ / "stderr.txt");
  EXPECT_NE(err.find("applied: detector.conf_threshold"), std::string::npos) << err;
  EXPECT_NE(err.find("need a restart: machine.id"), std::string::npos) << err;
  const json s = Status();
  EXPECT_NEAR(s.value("conf_threshold", 0.0), 0.55, 1e-9);
  EXPECT_EQ(s.value("machine_id", ""), "ops-test");
  EXPECT_EQ(Stop(), 0) << err;
}

// No secret reaches the log: the API key and the admin token appear in the
// environment and in requests, never in a line.
TEST_F(RunOpsTest, SecretsNeverAppearInTheLog) {
  Start(WriteConfig(0.3));
  ASSERT_TRUE(WaitUntil([&] { return sim_->Stats()["stored"].value("heartbeats", 0) >= 2; }));
  httplib::Client c("127.0.0.1", admin_port_);
  // The heartbeats' requests are timed on the uplink latency histogram.
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  const std::regex count(R"(rvm_uplink_request_duration_seconds_count\S* (\d+))");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(metrics->body, m, count)) << metrics->body;
  EXPECT_GE(std::stoi(m[1].str()), 2);
  c.set_bearer_token_auth(kToken);
  auto r = c.Post("/api/trigger", "", "application/json");
  ASSERT_TRUE(r);
  EXPECT_LT(r->status, 300) << r->body;
  EXPECT_EQ(Stop(), 0);
  const std::string err = ReadAll(dir_ / "stderr.txt");
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find(kKey), std::string::npos) << err;
  EXPECT_EQ(err.find(kToken), std::string::npos) << err;
}

}  // namespace
