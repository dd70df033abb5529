// End-to-end tests of `rvm-edge run` and `rvm-edge config check`: the real
// binary, real files, real signals.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;
using rvm::e2e::JsonRecords;
using rvm::e2e::ReadAll;
using rvm::e2e::WriteFrameSequence;
using Clock = std::chrono::steady_clock;

const std::string kShared = RVM_SHARED_DIR;
const std::string kModel = kShared + "/models/yolox_nano.onnx";

struct Child {
  pid_t pid = -1;
  fs::path err;
};

// Starts rvm-edge with `args`, stdout and stderr to files in `dir`, in the
// working directory `cwd` (empty: the test's own).
Child Spawn(const std::vector<std::string>& args, const fs::path& dir, const fs::path& cwd = {}) {
  Child c;
  c.err = dir / "stderr.txt";
  const fs::path out = dir / "stdout.txt";
  c.pid = ::fork();
  if (c.pid == 0) {
    if (!std::freopen(out.c_str(), "w", stdout) || !std::freopen(c.err.c_str(), "w", stderr)) {
      ::_exit(126);
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(125);
    std::vector<char*> argv;
    std::string bin = std::string(RVM_BINARY_DIR) + "/rvm-edge";
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    // Every run gets its own outbox (the default one is shared by the
    // working directory, and tests run in parallel) and any free admin port.
    if (!copy.empty() && copy[0] == "run" &&
        std::find(copy.begin(), copy.end(), "--outbox") == copy.end()) {
      copy.push_back("--outbox");
      copy.push_back((dir / "outbox").string());
      copy.push_back("--admin-port");
      copy.push_back("0");
    }
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return c;
}

// Waits up to `limit`; the exit code, or -1 on timeout (the child is killed).
int WaitExit(const Child& c, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(c.pid, SIGKILL);
  ::waitpid(c.pid, &status, 0);
  return -1;
}

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = rvm::e2e::FreshTestDir("rvm_run_cli"); }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }

  fs::path dir_;
};

TEST_F(RunCliTest, ReplayingAnImageSequenceWritesOneDecisionPerItemAndTheSession) {
  // The panlinchao pile: nothing the detector sees.
  const fs::path seq = WriteFrameSequence(dir_ / "seq", kShared + "/images",
                                          {{"misc/smartbin_bottle.jpg", 6},
                                           {"misc/bottle_panlinchao.jpg", 6},
                                           {"plain/pdoodp_alu_test_multi.jpg", 6}});
  // A file that cannot be decoded is skipped, and said to be.
  std::ofstream(seq / "frame_999.jpg").close();
  const fs::path decisions = dir_ / "decisions.jsonl";
  // COCO YOLOX-nano sees the three cans only weakly (as cups, 0.25-0.5): every box at the
  // detector's threshold counts toward multiple_items.
  const fs::path config = Write("rvm.toml", "[tracker]\nmultiple_items_min_score = 0.25\n");
  Child c = Spawn({"run", "--config", config.string(), "--replay", "--model", kModel, "--source",
                   "images", "--path", seq.string(), "--decisions", decisions.string()},
                  dir_);
  ASSERT_EQ(WaitExit(c, std::chrono::seconds(120)), 0) << ReadAll(c.err);
  const auto ds = JsonRecords(decisions, "decision");
  ASSERT_EQ(ds.size(), 4u) << ReadAll(decisions);
  EXPECT_EQ(ds[0]["status"], "ACCEPTED");
  EXPECT_EQ(ds[0]["label"], "bottle");
  for (size_t i = 1; i < ds.size(); ++i) EXPECT_EQ(ds[i]["reason"], "multiple_items");
  const auto sessions = JsonRecords(decisions, "session_summary");
  ASSERT_EQ(sessions.size(), 1u) << "the open session is closed at shutdown";
  EXPECT_EQ(sessions[0]["accepted_items"], 1);
  EXPECT_NE(ReadAll(c.err).find("4 decisions (1 accepted)"), std::string::npos) << ReadAll(c.err);
  EXPECT_NE(ReadAll(c.err).find("skipped image '" + (seq / "frame_999.jpg").string() +
                                "': file is empty"),
            std::string::npos)
      << ReadAll(c.err);
  EXPECT_NE(ReadAll(c.err).find(", 1 unreadable images skipped;"), std::string::npos)
      << ReadAll(c.err);
}

TEST_F(RunCliTest, SigtermStopsAnEndlessRunFlushesAndExitsZero) {
  // A paced synthetic camera never ends by itself.
  const fs::path decisions = dir_ / "decisions.jsonl";
  const fs::path config = Write("rvm.toml", R"(
[detector]
model_path = ")" + kModel + R"("
cache_dir = ""
[capture]
source = "synthetic"
width = 320
height = 240
[sink]
decisions_path = ")" + decisions.string() + R"("
)");
  Child c = Spawn({"run", "--config", config.string()}, dir_);
  // Let it get going (model loaded, capture sampling).
  const auto started = Clock::now() + std::chrono::seconds(60);
  while (ReadAll(c.err).find("inference worker") == std::string::npos && Clock::now() < started) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto t0 = Clock::now();
  ASSERT_EQ(::kill(c.pid, SIGTERM), 0);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(15)), 0) << ReadAll(c.err);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5)) << "shutdown is bounded";
  const std::string err = ReadAll(c.err);
  EXPECT_NE(err.find("stopping"), std::string::npos) << err;
  EXPECT_NE(err.find("frames sampled"), std::string::npos) << "the summary is printed: " << err;
  EXPECT_TRUE(fs::exists(decisions));
}

TEST_F(RunCliTest, ABadConfigurationStopsStartUpWithUsageExitAndTheKey) {
  const fs::path config = Write("bad.toml", "[pipeline]\ninference_workers = 0\n");
  Child c = Spawn({"run", "--config", config.string()}, dir_);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadAll(c.err).find("pipeline.inference_workers"), std::string::npos) << ReadAll(c.err);
}

TEST_F(RunCliTest, AMissingModelIsAFatalStartUpError) {
  Child c = Spawn({"run", "--replay", "--model", (dir_ / "none.onnx").string()}, dir_);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(30)), 3);
  EXPECT_NE(ReadAll(c.err).find("detector.model_path = \"" + (dir_ / "none.onnx").string() +
                                "\": no such file"),
            std::string::npos)
      << ReadAll(c.err);
}

TEST_F(RunCliTest, AStartUpFailureIsOnStandardErrorWhenTheLogGoesToAFile) {
  const fs::path log = dir_ / "rvm.log";
  const fs::path config = Write("logged.toml", "[logging]\nfile = \"" + log.string() + "\"\n");
  Child c = Spawn(
      {"run", "--config", config.string(), "--replay", "--model", (dir_ / "none.onnx").string()},
      dir_);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(30)), 3);
  const std::string err = ReadAll(c.err);
  EXPECT_NE(err.find("rvm-edge run: 1 problem with the files and folders the configuration names: "
                     "detector.model_path = \"" +
                     (dir_ / "none.onnx").string() + "\": no such file"),
            std::string::npos)
      << err;
  EXPECT_NE(ReadAll(log).find("none.onnx"), std::string::npos) << "and in the log";
}

TEST_F(RunCliTest, ConfigCheckAcceptsTheExampleFile) {
  // From the source tree, where its relative model_path leads to the model.
  Child c = Spawn({"config", "check", "config/rvm-edge.example.toml"}, dir_, RVM_SOURCE_DIR);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(30)), 0) << ReadAll(c.err);
  EXPECT_NE(ReadAll(dir_ / "stdout.txt").find("[pipeline]"), std::string::npos);
}

TEST_F(RunCliTest, ConfigCheckAndRunNameEveryMissingFileAndFolderByKey) {
  const fs::path missing = dir_ / "missing";
  const fs::path config =
      Write("paths.toml",
            "[detector]\nmodel_path = \"" + (missing / "m.onnx").string() + "\"\nlabels_path = \"" +
                dir_.string() + "\"\n[capture]\nsource = \"images\"\npath = \"" +
                (missing / "frames").string() + "\"\n[sink]\ndecisions_path = \"" +
                (missing / "d.jsonl").string() + "\"\n[uplink]\nca_path = \"relative-ca.pem\"\n");
  const std::vector<std::string> lines = {
      "detector.model_path = \"" + (missing / "m.onnx").string() + "\": no such file",
      "detector.labels_path = \"" + dir_.string() + "\": is a folder, not a file",
      "capture.path = \"" + (missing / "frames").string() + "\": no such folder",
      "sink.decisions_path = \"" + (missing / "d.jsonl").string() + "\": its folder '" +
          missing.string() + "' does not exist",
      "uplink.ca_path = \"relative-ca.pem\": no such file (relative to the working directory " +
          dir_.string() + ")"};
  Child check = Spawn({"config", "check", config.string()}, dir_, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 2);
  const std::string check_err = ReadAll(check.err);
  EXPECT_NE(check_err.find("has 5 problems:"), std::string::npos) << check_err;
  // `run` names the same five at once, before it opens anything, as a fatal start-up error.
  Child run = Spawn({"run", "--config", config.string()}, dir_, dir_);
  EXPECT_EQ(WaitExit(run, std::chrono::seconds(30)), 3);
  const std::string run_err = ReadAll(run.err);
  EXPECT_NE(run_err.find("5 problems with the files and folders the configuration names:"),
            std::string::npos)
      << run_err;
  for (const std::string& line : lines) {
    EXPECT_NE(check_err.find("\n  " + line), std::string::npos) << line << "\nin:\n" << check_err;
    EXPECT_NE(run_err.find(line), std::string::npos) << line << "\nin:\n" << run_err;
  }
}

TEST_F(RunCliTest, ADecisionsFileBesideANewOutboxNeedsNoFolderYet) {
  // state/ does not exist: the outbox makes it (and state/outbox) before the decisions file opens.
  const fs::path state = dir_ / "state";
  auto config_with = [&](const std::string& name, const fs::path& decisions) {
    return Write(name, "[detector]\nmodel_path = \"" + kModel + "\"\n[outbox]\ndir = \"" +
                           (state / "outbox").string() + "\"\n[sink]\ndecisions_path = \"" +
                           decisions.string() + "\"\n");
  };
  const fs::path config = config_with("state.toml", state / "decisions.jsonl");
  Child check = Spawn({"config", "check", "--quiet", config.string()}, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 0) << ReadAll(check.err);
  const fs::path seq =
      WriteFrameSequence(dir_ / "seq", kShared + "/images", {{"misc/smartbin_bottle.jpg", 6}});
  Child run = Spawn({"run", "--config", config.string(), "--replay", "--source", "images", "--path",
                     seq.string(), "--outbox", (state / "outbox").string(), "--admin-port", "0"},
                    dir_);
  ASSERT_EQ(WaitExit(run, std::chrono::seconds(120)), 0) << ReadAll(run.err);
  EXPECT_EQ(JsonRecords(state / "decisions.jsonl", "decision").size(), 1u);
  // A folder elsewhere that does not exist is still named.
  const fs::path elsewhere = config_with("elsewhere.toml", dir_ / "logs" / "decisions.jsonl");
  Child refused = Spawn({"config", "check", elsewhere.string()}, dir_);
  EXPECT_EQ(WaitExit(refused, std::chrono::seconds(30)), 2);
  EXPECT_NE(
      ReadAll(refused.err).find("its folder '" + (dir_ / "logs").string() + "' does not exist"),
      std::string::npos)
      << ReadAll(refused.err);
}

TEST_F(RunCliTest, ADirectoryGivenAsTheConfigFileIsAnErrorSayingSo) {
  Child check = Spawn({"config", "check", dir_.string()}, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadAll(check.err).find("config '" + dir_.string() + "': is a directory"),
            std::string::npos)
      << ReadAll(check.err);
  Child run = Spawn({"run", "--config", dir_.string()}, dir_);
  EXPECT_EQ(WaitExit(run, std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadAll(run.err).find("is a directory"), std::string::npos) << ReadAll(run.err);
}

TEST_F(RunCliTest, ConfigCheckNamesEveryProblemAndExitsTwo) {
  const fs::path config =
      Write("bad.toml", "[detector]\nconf_threshold = 1.7\n[pipeline]\nno_such_key = 1\n");
  Child c = Spawn({"config", "check", config.string()}, dir_);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(30)), 2);
  const std::string err = ReadAll(c.err);
  EXPECT_NE(err.find("detector.conf_threshold"), std::string::npos) << err;
  EXPECT_NE(err.find("no_such_key"), std::string::npos) << err;
}

TEST_F(RunCliTest, ConfigCheckAndRunAgreeOnTheOutboxsMinimumQuota) {
  const std::string model = std::string(RVM_SHARED_DIR) + "/models/yolox_nano.onnx";
  auto config = [&](const std::string& name, int64_t quota) {
    return Write(name, "[detector]\nmodel_path = \"" + model + "\"\n[outbox]\ndir = \"" +
                           (dir_ / "outbox").string() + "\"\nquota_bytes = " +
                           std::to_string(quota) + "\n");
  };
  const fs::path small = config("small.toml", 1'376'255);
  Child check = Spawn({"config", "check", small.string()}, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadAll(check.err).find("outbox.quota_bytes: 1376255 is below the minimum 1376256"),
            std::string::npos)
      << ReadAll(check.err);
  Child run = Spawn({"run", "--config", small.string()}, dir_);
  EXPECT_EQ(WaitExit(run, std::chrono::seconds(60)), 2);
  EXPECT_NE(ReadAll(run.err).find("outbox.quota_bytes: 1376255 is below the minimum 1376256"),
            std::string::npos)
      << ReadAll(run.err);
  Child enough = Spawn({"config", "check", config("enough.toml", 1'376'256).string()}, dir_);
  EXPECT_EQ(WaitExit(enough, std::chrono::seconds(30)), 0) << ReadAll(enough.err);
}

TEST_F(RunCliTest, AnAdminPortBeyondLoopbackWithoutATokenIsRefusedByCheckAndRun) {
  const fs::path open = Write("open.toml", "[detector]\nmodel_path = \"" + kModel +
                                               "\"\n[admin]\nbind_address = \"0.0.0.0\"\n");
  Child check = Spawn({"config", "check", open.string()}, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 2);
  EXPECT_NE(ReadAll(check.err).find("admin.bind_address = \"0.0.0.0\": listens beyond loopback "
                                    "and admin.token is not set"),
            std::string::npos)
      << ReadAll(check.err);
  Child run = Spawn({"run", "--config", open.string()}, dir_);
  EXPECT_EQ(WaitExit(run, std::chrono::seconds(60)), 2);
  EXPECT_NE(ReadAll(run.err).find("admin.allow_unauthenticated_remote = true"), std::string::npos)
      << ReadAll(run.err);
}

TEST_F(RunCliTest, AnExplicitOptInStartsBeyondLoopbackWithAWarning) {
  const fs::path decisions = dir_ / "decisions.jsonl";
  const fs::path config = Write("optin.toml", R"(
[detector]
model_path = ")" + kModel + R"("
cache_dir = ""
[capture]
source = "synthetic"
width = 320
height = 240
[admin]
bind_address = "0.0.0.0"
allow_unauthenticated_remote = true
[sink]
decisions_path = ")" + decisions.string() + R"("
)");
  Child check = Spawn({"config", "check", config.string()}, dir_);
  EXPECT_EQ(WaitExit(check, std::chrono::seconds(30)), 0) << ReadAll(check.err);
  Child c = Spawn({"run", "--config", config.string(), "--max-seconds", "2"}, dir_);
  EXPECT_EQ(WaitExit(c, std::chrono::seconds(90)), 0) << ReadAll(c.err);
  const std::string err = ReadAll(c.err);
  EXPECT_NE(err.find("admin server listens on 0.0.0.0 without admin.token"), std::string::npos)
      << err;
}

}  // namespace
