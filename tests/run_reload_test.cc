// SIGHUP on a running `rvm-edge run`: for every key the README says a reload
// applies, a test changes it in the file, sends SIGHUP and observes the
// effect on the running service (its decisions, its status, the platform's
// books, its log), never just the reported value. The real binary, an
// in-process rvm-platform-sim on a free port, temp dirs.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "platform_sim/platform_sim.h"

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;
using rvm::e2e::JsonRecords;
using rvm::e2e::ReadAll;
using rvm::e2e::WaitUntil;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kShared = RVM_SHARED_DIR;
const std::string kModel = kShared + "/models/yolox_nano.onnx";
const std::string kKey = "run-reload-test-key";
const std::string kToken = "run-reload-admin-token-0123456789";
// yolox_nano at the configured 0.3 sees one bottle here (PET, 10 points)...
const std::string kBottle = kShared + "/images/misc/smartbin_bottle.jpg";
// ... and nothing here: the chute after the item has left.
const std::string kEmpty = kShared + "/images/misc/bottle_panlinchao.jpg";
const std::string kGlass = kShared + "/images/misc/smartbin_glass501.jpg";

// A loopback port nothing listens on: bound, then closed.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

class RunReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = rvm::e2e::FreshTestDir("rvm_run_reload");
    fs::create_directories(dir_ / "frames");
    rvm::sim::PlatformSim::Options options;
    options.port = 0;
    options.db_path = ":memory:";
    options.machines = {{9, kKey, "RVM-RELOAD-9", "offline"}};
    sim_ = std::make_unique<rvm::sim::PlatformSim>(options);
    auto started = sim_->Start();
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    // An image directory the test drops frames into; the platform; a token.
    keys_ = {
        {"machine.id", "\"reload-test\""},
        {"detector.model_path", "\"" + kModel + "\""},
        {"detector.cache_dir", "\"\""},
        {"detector.conf_threshold", "0.3"},
        {"capture.source", "\"images\""},
        {"capture.path", "\"" + (dir_ / "frames").string() + "\""},
        {"capture.watch", "true"},
        {"outbox.dir", "\"" + (dir_ / "outbox").string() + "\""},
        {"uplink.base_url", "\"" + sim_->base_url() + "\""},
        {"uplink.heartbeat_interval_s", "60"},
        {"admin.port", "0"},
        {"sink.decisions_path", "\"" + (dir_ / "decisions.jsonl").string() + "\""},
    };
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    sim_->Stop();
    fs::remove_all(dir_);
  }

  // Writes keys_ as TOML, grouped by table.
  void WriteConfig() {
    std::map<std::string, std::vector<std::string>> tables;
    for (const auto& [key, value] : keys_) {
      const size_t dot = key.rfind('.');
      tables[key.substr(0, dot)].push_back(key.substr(dot + 1) + " = " + value);
    }
    std::ofstream out(dir_ / "rvm.toml.tmp");
    for (const auto& [table, lines] : tables) {
      out << "[" << table << "]\n";
      for (const std::string& l : lines) out << l << "\n";
    }
    out.close();
    fs::rename(dir_ / "rvm.toml.tmp", dir_ / "rvm.toml");
  }

  // Starts the service (`--replay` when asked: every frame detected); returns
  // once its admin server answers.
  void Start(bool replay) {
    WriteConfig();
    std::vector<std::string> args = {"run", "--config", (dir_ / "rvm.toml").string()};
    if (replay) args.push_back("--replay");
    pid_ = rvm::e2e::SpawnRvmEdge(args, dir_ / "stderr.txt",
                                  {{"RVM_EDGE_API_KEY", kKey}, {"RVM_EDGE_ADMIN_TOKEN", kToken}});
    const std::regex url(R"(admin server on http://127\.0\.0\.1:(\d+))");
    ASSERT_TRUE(WaitUntil([&] {
      std::smatch m;
      const std::string err = Log();
      if (!std::regex_search(err, m, url)) return false;
      admin_port_ = std::stoi(m[1].str());
      return true;
    })) << Log();
  }

  // A synthetic camera, paced at 30 frames/s, looking into an empty chute.
  void UseStillCamera() {
    keys_.erase("capture.path");
    keys_.erase("capture.watch");
    keys_["capture.source"] = "\"synthetic\"";
    keys_["capture.width"] = "320";
    keys_["capture.height"] = "240";
  }

  std::string Log() { return ReadAll(dir_ / "stderr.txt"); }
  int Count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  // Changes `changes` in the file and sends SIGHUP; returns once the
  // service logged that it reloaded (`marker` in the log once more).
  void Reload(const std::map<std::string, std::string>& changes,
              const std::string& marker = "configuration reloaded") {
    for (const auto& [k, v] : changes) keys_[k] = v;
    const int before = Count(Log(), marker);
    WriteConfig();
    ASSERT_EQ(::kill(pid_, SIGHUP), 0);
    ASSERT_TRUE(WaitUntil([&] { return Count(Log(), marker) > before; })) << Log();
  }

  // Drops `frames` frames of `image` into the watched directory.
  void Feed(const std::string& image, int frames) {
    for (int i = 0; i < frames; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "f%05d.jpg", next_frame_++);
      fs::create_symlink(image, dir_ / "frames" / name);
    }
  }
  // One item: the bottle in view for 6 frames, then the empty chute.
  void FeedOneBottle() {
    Feed(kBottle, 6);
    Feed(kEmpty, 8);
  }

  std::vector<json> Records(const std::string& type) {
    return JsonRecords(dir_ / "decisions.jsonl", type);
  }
  // Waits for the `n`-th decision and returns it.
  json Decision(size_t n) {
    EXPECT_TRUE(WaitUntil([&] { return Records("decision").size() >= n; }))
        << Log() << ReadAll(dir_ / "decisions.jsonl");
    const auto ds = Records("decision");
    return ds.size() >= n ? ds[n - 1] : json();
  }

  json Status() {
    httplib::Client c("127.0.0.1", admin_port_);
    auto r = c.Get("/api/status");
    if (!r || r->status != 200) return json();
    return json::parse(r->body, nullptr, false);
  }
  int64_t Pipeline(const std::string& field) {
    const json s = Status();
    if (!s.is_object()) return -1;
    return s["pipeline"].value(field, int64_t{-1});
  }
  // How many frames the source delivered during `window`.
  int64_t FramesCapturedOver(milliseconds window) {
    const int64_t before = Pipeline("frames_captured");
    std::this_thread::sleep_for(window);
    return Pipeline("frames_captured") - before;
  }
  httplib::Result Post(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", admin_port_);
    c.set_bearer_token_auth(kToken);
    return c.Post(path, body, "application/json");
  }

  int Stop() {
    return rvm::e2e::TerminateAndWait(pid_);
  }

  fs::path dir_;
  std::unique_ptr<rvm::sim::PlatformSim> sim_;
  std::map<std::string, std::string> keys_;
  pid_t pid_ = -1;
  int admin_port_ = 0;
  int next_frame_ = 0;
};

// detector.conf_threshold: above every score nothing is detected, so a
// bottle goes by undecided; back at 0.3 the next bottle is decided.
TEST_F(RunReloadTest, ConfThresholdChangesWhatTheDetectorKeeps) {
  Start(/*replay=*/true);
  Reload({{"detector.conf_threshold", "1.0"}});
  EXPECT_NE(Log().find("applied: detector.conf_threshold;"), std::string::npos) << Log();
  EXPECT_DOUBLE_EQ(Status().value("conf_threshold", 0.0), 1.0);
  const int64_t tracked = Pipeline("frames_tracked");
  FeedOneBottle();
  ASSERT_TRUE(WaitUntil([&] { return Pipeline("frames_tracked") >= tracked + 14; })) << Log();
  EXPECT_TRUE(Records("decision").empty()) << ReadAll(dir_ / "decisions.jsonl");

  Reload({{"detector.conf_threshold", "0.3"}});
  FeedOneBottle();
  EXPECT_EQ(Decision(1).value("label", ""), "bottle");
  EXPECT_EQ(Stop(), 0) << Log();
}

// policy.accept_threshold.<material>: the next PET item is compared with the
// new threshold.
TEST_F(RunReloadTest, AcceptThresholdDecidesTheNextItem) {
  Start(/*replay=*/true);
  FeedOneBottle();
  const json first = Decision(1);
  EXPECT_EQ(first.value("status", ""), "ACCEPTED") << first.dump();
  EXPECT_DOUBLE_EQ(first.value("threshold", 0.0), 0.5);

  Reload({{"policy.accept_threshold.pet", "1.0"}});
  EXPECT_NE(Log().find("applied: policy.accept_threshold.pet;"), std::string::npos) << Log();
  FeedOneBottle();
  const json second = Decision(2);
  EXPECT_EQ(second.value("status", ""), "REJECTED") << second.dump();
  EXPECT_EQ(second.value("reason", ""), "low_confidence");
  EXPECT_DOUBLE_EQ(second.value("threshold", 0.0), 1.0);
  EXPECT_EQ(Stop(), 0) << Log();
}

// sessions.points.<material>: the next accepted item earns the new points.
TEST_F(RunReloadTest, PointsCreditTheNextItem) {
  Start(/*replay=*/true);
  FeedOneBottle();
  EXPECT_EQ(Decision(1).value("points", -1), 10);
  Reload({{"sessions.points.pet", "42"}});
  FeedOneBottle();
  EXPECT_EQ(Decision(2).value("points", -1), 42) << Decision(2).dump();
  EXPECT_EQ(Stop(), 0) << Log();
}

// sessions.idle_timeout_s: the session that is open closes after the new,
// shorter timeout.
TEST_F(RunReloadTest, SessionIdleTimeoutClosesTheOpenSession) {
  Start(/*replay=*/true);
  FeedOneBottle();
  Decision(1);
  std::this_thread::sleep_for(seconds(2));
  ASSERT_TRUE(Records("session_summary").empty()) << "the 60 s timeout has not passed";
  Reload({{"sessions.idle_timeout_s", "1"}});
  ASSERT_TRUE(WaitUntil([&] { return !Records("session_summary").empty(); }, seconds(10)))
      << Log();
  EXPECT_EQ(Records("session_summary")[0].value("close_reason", ""), "idle_timeout");
  EXPECT_EQ(Stop(), 0) << Log();
}

// capture.idle_fps: an empty chute is sampled at the new rate.
TEST_F(RunReloadTest, IdleRateChangesHowOftenAnEmptyChuteIsSampled) {
  UseStillCamera();
  keys_["capture.idle_fps"] = "1";
  keys_["capture.active_fps"] = "30";
  Start(/*replay=*/false);
  ASSERT_TRUE(WaitUntil([&] { return Pipeline("frames_captured") >= 1; })) << Log();
  EXPECT_LE(FramesCapturedOver(milliseconds(2000)), 4);
  Reload({{"capture.idle_fps", "20"}});
  EXPECT_GE(FramesCapturedOver(milliseconds(2000)), 20);
  EXPECT_EQ(Pipeline("frames_to_detector"), 0) << "still idle: nothing moved";
  EXPECT_EQ(Stop(), 0) << Log();
}

// capture.active_fps: after a trigger the chute is sampled at the new rate.
TEST_F(RunReloadTest, ActiveRateChangesHowOftenAnActiveChuteIsSampled) {
  UseStillCamera();
  keys_["capture.idle_fps"] = "1";
  keys_["capture.active_fps"] = "2";
  keys_["capture.quiet_period_ms"] = "600000";  // a trigger keeps it active
  Start(/*replay=*/false);
  auto r = Post("/api/trigger", "");
  ASSERT_TRUE(r && r->status < 300);
  ASSERT_TRUE(WaitUntil([&] { return Status()["pipeline"].value("mode", "") == "active"; }));
  EXPECT_LE(FramesCapturedOver(milliseconds(2000)), 6);
  Reload({{"capture.active_fps", "25"}});
  // 50 expected; inference on every active frame may hold a few back.
  EXPECT_GE(FramesCapturedOver(milliseconds(2000)), 12);
  EXPECT_EQ(Stop(), 0) << Log();
}

// capture.quiet_period_ms: an active window held open by a long quiet
// period ends soon after a short one is loaded.
TEST_F(RunReloadTest, QuietPeriodEndsTheActiveWindow) {
  UseStillCamera();
  keys_["capture.idle_fps"] = "5";
  keys_["capture.active_fps"] = "10";
  keys_["capture.quiet_period_ms"] = "600000";
  Start(/*replay=*/false);
  auto r = Post("/api/trigger", "");
  ASSERT_TRUE(r && r->status < 300);
  ASSERT_TRUE(WaitUntil([&] { return Status()["pipeline"].value("mode", "") == "active"; }));
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_EQ(Status()["pipeline"].value("mode", ""), "active");
  Reload({{"capture.quiet_period_ms", "200"}});
  EXPECT_TRUE(WaitUntil([&] { return Status()["pipeline"].value("mode", "") == "idle"; },
                        seconds(5)))
      << Status().dump();
  EXPECT_EQ(Stop(), 0) << Log();
}

// capture.motion_threshold: pictures that change by less than the threshold
// leave the detector idle; at a low threshold the same change wakes it.
TEST_F(RunReloadTest, MotionThresholdDecidesWhatCountsAsMotion) {
  keys_["capture.idle_fps"] = "20";
  keys_["capture.active_fps"] = "20";
  keys_["capture.quiet_period_ms"] = "1000";
  keys_["capture.motion_threshold"] = "1.0";  // every pixel would have to change
  Start(/*replay=*/false);
  for (int i = 0; i < 3; ++i) {
    Feed(kBottle, 1);
    Feed(kGlass, 1);
  }
  ASSERT_TRUE(WaitUntil([&] { return Pipeline("frames_captured") >= 6; })) << Log();
  EXPECT_EQ(Pipeline("frames_to_detector"), 0);
  Reload({{"capture.motion_threshold", "0.01"}});
  for (int i = 0; i < 3; ++i) {
    Feed(kBottle, 1);
    Feed(kGlass, 1);
  }
  ASSERT_TRUE(WaitUntil([&] { return Pipeline("frames_captured") >= 12; })) << Log();
  EXPECT_GT(Pipeline("frames_to_detector"), 0);
  EXPECT_EQ(Stop(), 0) << Log();
}

// uplink.heartbeat_interval_s: the platform hears from the machine at the
// new interval, without waiting out the old one.
TEST_F(RunReloadTest, HeartbeatIntervalChangesHowOftenThePlatformHearsFromIt) {
  Start(/*replay=*/false);
  auto heartbeats = [&] { return sim_->Stats()["stored"].value("heartbeats", 0); };
  ASSERT_TRUE(WaitUntil([&] { return heartbeats() >= 1; })) << Log();
  std::this_thread::sleep_for(milliseconds(1500));
  ASSERT_EQ(heartbeats(), 1) << "the next one is a minute away";
  Reload({{"uplink.heartbeat_interval_s", "1"}});
  EXPECT_TRUE(WaitUntil([&] { return heartbeats() >= 4; }, seconds(8))) << heartbeats();
  EXPECT_EQ(Stop(), 0) << Log();
}

// uplink.retry_backoff_min_ms / max_ms: against a platform that is down,
// the delivery retries at the pace the backoff now allows.
class RunReloadBackoffTest : public RunReloadTest {
 protected:
  void SetUp() override {
    RunReloadTest::SetUp();
    keys_["uplink.base_url"] = "\"http://127.0.0.1:" + std::to_string(ClosedPort()) + "\"";
    keys_["uplink.circuit_failure_threshold"] = "1000";  // every failure is a retry
    keys_["uplink.connect_timeout_ms"] = "200";
  }
  int64_t Retries() {
    const json s = Status();
    return s.is_object() && s["uplink"].is_object() ? s["uplink"].value("retries", int64_t{-1})
                                                    : -1;
  }
  int64_t RetriesOver(milliseconds window) {
    const int64_t before = Retries();
    std::this_thread::sleep_for(window);
    return Retries() - before;
  }
};

TEST_F(RunReloadBackoffTest, RetryBackoffMinSlowsTheRetries) {
  keys_["uplink.retry_backoff_min_ms"] = "50";
  keys_["uplink.retry_backoff_max_ms"] = "50";
  Start(/*replay=*/true);
  FeedOneBottle();
  ASSERT_TRUE(WaitUntil([&] { return Retries() >= 5; })) << Log();
  EXPECT_GE(RetriesOver(milliseconds(2000)), 10);
  Reload({{"uplink.retry_backoff_min_ms", "5000"}, {"uplink.retry_backoff_max_ms", "5000"}});
  std::this_thread::sleep_for(milliseconds(200));  // the retry scheduled before
  // Every delay is now drawn from [2.5 s, 5 s].
  EXPECT_LE(RetriesOver(milliseconds(2000)), 1);
  EXPECT_EQ(Stop(), 0) << Log();
}

TEST_F(RunReloadBackoffTest, RetryBackoffMaxSlowsTheRetries) {
  keys_["uplink.retry_backoff_min_ms"] = "50";
  keys_["uplink.retry_backoff_max_ms"] = "50";
  Start(/*replay=*/true);
  FeedOneBottle();
  ASSERT_TRUE(WaitUntil([&] { return Retries() >= 8; })) << Log();
  Reload({{"uplink.retry_backoff_max_ms", "8000"}});
  std::this_thread::sleep_for(milliseconds(200));
  // Past the eighth attempt the cap is the maximum: delays drawn from
  // [25 ms, 8 s], about 4 s on average, instead of 50 ms.
  EXPECT_LE(RetriesOver(milliseconds(3000)), 8);
  EXPECT_EQ(Stop(), 0) << Log();
}

// logging.format: the lines after the reload are JSON objects.
TEST_F(RunReloadTest, LogFormatChangesTheNextLines) {
  Start(/*replay=*/false);
  Reload({{"logging.format", "\"json\""}}, "\"msg\":\"SIGHUP: configuration reloaded");
  std::istringstream in(Log());
  std::string text;
  json line;
  while (std::getline(in, text)) {
    if (text.find("SIGHUP: configuration reloaded") != std::string::npos) {
      line = json::parse(text, nullptr, false);
    }
  }
  ASSERT_TRUE(line.is_object()) << Log();
  EXPECT_NE(line.value("msg", "").find("applied: logging.format"), std::string::npos) << Log();
  EXPECT_EQ(Stop(), 0) << Log();
}

// logging.level: at "warn" an info line is no longer written; back at
// "info" it is again.
TEST_F(RunReloadTest, LogLevelChangesWhichLinesAreWritten) {
  Start(/*replay=*/false);
  const int reloads = Count(Log(), "configuration reloaded");
  // The reload line itself is an info line; the threshold marks when it happened.
  keys_["logging.level"] = "\"warn\"";
  keys_["detector.conf_threshold"] = "0.35";
  WriteConfig();
  ASSERT_EQ(::kill(pid_, SIGHUP), 0);
  ASSERT_TRUE(WaitUntil([&] { return Status().value("conf_threshold", 0.0) == 0.35; }));
  auto r = Post("/api/maintenance", R"({"on": true, "reason": "level test"})");
  ASSERT_TRUE(r && r->status < 300);
  EXPECT_EQ(Count(Log(), "configuration reloaded"), reloads);
  EXPECT_EQ(Log().find("entering maintenance"), std::string::npos) << Log();

  Reload({{"logging.level", "\"info\""}});
  r = Post("/api/maintenance", R"({"on": false})");
  ASSERT_TRUE(r && r->status < 300);
  EXPECT_TRUE(WaitUntil([&] { return Log().find("leaving maintenance") != std::string::npos; }))
      << Log();
  EXPECT_EQ(Stop(), 0) << Log();
}

// A key that needs a restart is named in the reload's line and left alone.
TEST_F(RunReloadTest, KeysThatNeedARestartAreNamedAndLeftAlone) {
  Start(/*replay=*/false);
  Reload({{"machine.id", "\"reload-other\""}, {"pipeline.inference_workers", "3"}});
  EXPECT_NE(Log().find("applied: none; need a restart: machine.id, pipeline.inference_workers"),
            std::string::npos)
      << Log();
  EXPECT_EQ(Status().value("machine_id", ""), "reload-test");
  EXPECT_EQ(Stop(), 0) << Log();
}

}  // namespace
