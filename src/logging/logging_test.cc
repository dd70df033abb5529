#include "logging/logging.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace rvm {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rvm_logging_test.XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::vector<std::string> ReadLines(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

LoggingConfig FileConfig(const fs::path& file, std::string format = "text") {
  LoggingConfig c;
  c.file = file.string();
  c.format = std::move(format);
  c.level = "trace";
  return c;
}

const std::vector<std::string> kSecrets = {"adm1n-tok", "sk-live-9f8e", "hunter2!",
                                           "tok-bearer-77"};

// Every way a secret might reach a log line.
void LogEveryLeak() {
  const Logger log("uplink");
  log.Info("admin token is adm1n-tok");
  log.Warn("request failed",
           {{"api_key", "sk-live-9f8e"}, {"body", "{\"password\":\"hunter2!\"}"}});
  log.Error("sent Authorization: Bearer tok-bearer-77 to platform");
  log.Info("headers", {{"header", "X-API-Key: sk-live-9f8e"}, {"note", "password=hunter2!"}});
  log.Debug("pattern only: Authorization: Bearer unknown-value-1 X-API-Key: unknown-value-2");
  log.Debug("pattern only: password=unknown-value-3 {\"token\":\"unknown-value-4\"}");
  log.Trace("field only", {{"token", "unknown-value-5"}, {"password", "unknown-value-6"}});
  spdlog::warn("plain spdlog call with password=unknown-value-7 and hunter2!");
}

void ExpectNoLeak(const std::vector<std::string>& lines, const std::string& where) {
  ASSERT_EQ(lines.size(), 8u) << where;
  for (const std::string& line : lines) {
    for (const std::string& secret : kSecrets) {
      EXPECT_THAT(line, Not(HasSubstr(secret))) << where;
    }
    EXPECT_THAT(line, Not(HasSubstr("unknown-value"))) << where;
    EXPECT_THAT(line, HasSubstr("<redacted>")) << where;
  }
}

class LoggingFormatTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LoggingFormatTest, NoSecretReachesTheFileOrTheRing) {
  TempDir dir;
  const fs::path file = dir.path() / "rvm-edge.log";
  ASSERT_TRUE(InitLogging(FileConfig(file, GetParam()), kSecrets).ok());
  LogEveryLeak();
  FlushLogs();
  ExpectNoLeak(ReadLines(file), "file");
  ExpectNoLeak(RecentLogLines(8), "ring");
  EXPECT_EQ(RecentLogLines(8), ReadLines(file)) << "the ring holds the lines as written";
}

INSTANTIATE_TEST_SUITE_P(TextAndJson, LoggingFormatTest, ::testing::Values("text", "json"));

TEST(LoggingTest, JsonLinesParseAndCarryTheStandardKeys) {
  TempDir dir;
  const fs::path file = dir.path() / "log.jsonl";
  ASSERT_TRUE(InitLogging(FileConfig(file, "json"), {}).ok());
  Logger("capture").Info("camera reopened", {{"attempt", 3}, {"device", "/dev/video0"}});
  Logger("deposit").Warn("item \"x\"\nrejected", {{"confidence", 0.42}, {"guest", true}});
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json a = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(a["level"], "info");
  EXPECT_EQ(a["logger"], "capture");
  EXPECT_EQ(a["msg"], "camera reopened");
  EXPECT_EQ(a["attempt"], 3);
  EXPECT_EQ(a["device"], "/dev/video0");
  EXPECT_TRUE(a["ts"].is_string());
  const nlohmann::json b = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(b["level"], "warn");
  EXPECT_EQ(b["msg"], "item \"x\"\nrejected");
  EXPECT_EQ(b["confidence"], 0.42);
  EXPECT_EQ(b["guest"], true);
}

TEST(LoggingTest, LinesBelowTheLevelAreDroppedAndTheLevelChangesAtRunTime) {
  TempDir dir;
  const fs::path file = dir.path() / "log.txt";
  LoggingConfig c = FileConfig(file);
  c.level = "warn";
  ASSERT_TRUE(InitLogging(c, {}).ok());
  EXPECT_EQ(CurrentLevel(), LogLevel::kWarn);
  const Logger log("t");
  log.Info("dropped-1");
  log.Warn("kept-1");
  SetLevel(LogLevel::kDebug);
  log.Trace("dropped-2");
  log.Debug("kept-2");
  SetLevel(LogLevel::kOff);
  log.Error("dropped-3");
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("WARN  t: kept-1"));
  EXPECT_THAT(lines[1], HasSubstr("DEBUG t: kept-2"));
}

TEST(LoggingTest, TheFormatChangesAtRunTime) {
  TempDir dir;
  const fs::path file = dir.path() / "log.txt";
  ASSERT_TRUE(InitLogging(FileConfig(file), {"s3cret"}).ok());
  Logger("t").Info("one s3cret");
  SetFormat(LogFormat::kJson);
  Logger("t").Info("two s3cret");
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("INFO  t: one <redacted>"));
  EXPECT_EQ(nlohmann::json::parse(lines[1])["msg"], "two <redacted>");
}

TEST(LoggingTest, TheFileRotatesAtMaxSizeAndKeepsFilesKept) {
  TempDir dir;
  const fs::path file = dir.path() / "rvm-edge.log";
  LoggingConfig c = FileConfig(file);
  c.max_size_bytes = 4096;
  c.files_kept = 2;
  ASSERT_TRUE(InitLogging(c, {}).ok());
  const std::string filler(100, 'x');
  for (int i = 0; i < 300; ++i) Logger("t").Info(filler, {{"i", i}});  // ~40 KB
  FlushLogs();
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    names.insert(e.path().filename().string());
    EXPECT_LE(fs::file_size(e.path()), 4096u) << e.path();
  }
  EXPECT_EQ(names, (std::set<std::string>{"rvm-edge.log", "rvm-edge.1.log", "rvm-edge.2.log"}));
  // Oldest file first, the kept lines are consecutive and end with the newest.
  std::vector<int> seen;
  for (const char* name : {"rvm-edge.2.log", "rvm-edge.1.log", "rvm-edge.log"}) {
    for (const std::string& line : ReadLines(dir.path() / name)) {
      seen.push_back(std::stoi(line.substr(line.rfind("i=") + 2)));
    }
  }
  ASSERT_GT(seen.size(), 50u);
  EXPECT_EQ(seen.back(), 299);
  for (size_t k = 1; k < seen.size(); ++k) EXPECT_EQ(seen[k], seen[k - 1] + 1);
}

TEST(LoggingTest, ConcurrentThreadsWriteWholeLinesAndLoseNone) {
  TempDir dir;
  const fs::path file = dir.path() / "log.jsonl";
  LoggingConfig c = FileConfig(file, "json");
  c.max_size_bytes = 64 << 20;
  ASSERT_TRUE(InitLogging(c, {"thread-secret"}).ok());
  constexpr int kThreads = 8;
  constexpr int kLines = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      const Logger log("worker");
      for (int i = 0; i < kLines; ++i) {
        log.Info("line with thread-secret",
                 {{"thread", t}, {"i", i}, {"pad", std::string(64, 'p')}});
        if (i % 100 == 0) (void)RecentLogLines(10);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<std::string> lines = ReadLines(file);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    const nlohmann::json j = nlohmann::json::parse(line);  // throws on a torn line
    EXPECT_EQ(j["msg"], "line with <redacted>");
    const int t = j["thread"];
    EXPECT_EQ(j["i"], next[t]) << "each thread's lines appear in its order";
    next[t] = j["i"].get<int>() + 1;
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kLines));
}

TEST(LoggingTest, TheRingKeepsTheLastLinesOldestFirst) {
  TempDir dir;
  LoggingConfig c = FileConfig(dir.path() / "log.txt");
  c.level = "info";
  ASSERT_TRUE(InitLogging(c, {}).ok());
  for (int i = 0; i < kRecentLogLinesKept + 5; ++i) Logger("ring").Debug("hidden");
  for (int i = 0; i < kRecentLogLinesKept + 5; ++i) Logger("ring").Info("n", {{"i", i}});
  const std::vector<std::string> last = RecentLogLines(3);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_THAT(last[0], HasSubstr("i=" + std::to_string(kRecentLogLinesKept + 2)));
  EXPECT_THAT(last[2], HasSubstr("i=" + std::to_string(kRecentLogLinesKept + 4)));
  EXPECT_EQ(RecentLogLines(1 << 20).size(), static_cast<size_t>(kRecentLogLinesKept));
  EXPECT_TRUE(RecentLogLines(0).empty());
}

TEST(LoggingTest, BadSettingsAreRefusedNamingTheKey) {
  LoggingConfig c;
  c.level = "loud";
  EXPECT_THAT(InitLogging(c, {}).message(), HasSubstr("logging.level = 'loud'"));
  c = LoggingConfig{};
  c.format = "xml";
  EXPECT_THAT(InitLogging(c, {}).message(), HasSubstr("logging.format = 'xml'"));
  c = LoggingConfig{};
  c.max_size_bytes = 0;
  EXPECT_THAT(InitLogging(c, {}).message(), HasSubstr("logging.max_size_bytes = 0"));
  TempDir dir;
  std::ofstream(dir.path() / "plain-file") << "x";
  c = LoggingConfig{};
  c.file = (dir.path() / "plain-file" / "sub" / "log.txt").string();
  const Status s = InitLogging(c, {});
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("logging.file '" + c.file + "'"));
}

TEST(LoggingTest, ConfigSecretsAreTheSetSecretValues) {
  Config c;
  c.uplink.api_key = {"k", "file"};
  c.admin.token = {"a", "env RVM_EDGE_ADMIN_TOKEN"};
  EXPECT_EQ(ConfigSecrets(c), (std::vector<std::string>{"k", "a"}));
  c.uplink.password = {"p", "file"};
  c.uplink.token = {"t", "file"};
  EXPECT_EQ(ConfigSecrets(c), (std::vector<std::string>{"k", "p", "t", "a"}));
}

}  // namespace
}  // namespace rvm
