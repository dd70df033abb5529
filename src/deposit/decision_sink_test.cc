#include "deposit/decision_sink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rvm {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

class JsonLinesSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("json_lines_sink_test_" + std::to_string(::getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<nlohmann::json> ReadLines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

  fs::path dir_;
};

Decision ADecision(const std::string& id) {
  Decision d;
  d.item_id = id;
  d.material = Material::kAluminium;
  d.accepted = true;
  return d;
}

TEST_F(JsonLinesSinkTest, DecisionsAndSummariesAreAppendedOnePerLine) {
  const fs::path path = dir_ / "decisions.jsonl";
  {
    auto sink = JsonLinesSink::Open(path.string());
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Write(ADecision("a")).ok());
    SessionSummary s;
    s.session = {"s-1", SessionKind::kGuest, -1};
    ASSERT_TRUE((*sink)->WriteSessionSummary(s).ok());
    ASSERT_TRUE((*sink)->Flush().ok());
  }
  {
    auto sink = JsonLinesSink::Open(path.string());  // reopening appends
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(ADecision("b")).ok());
  }
  const auto lines = ReadLines(path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"], "decision");
  EXPECT_EQ(lines[0]["item_id"], "a");
  EXPECT_EQ(lines[1]["type"], "session_summary");
  EXPECT_EQ(lines[1]["session_id"], "s-1");
  EXPECT_EQ(lines[2]["item_id"], "b");
}

TEST_F(JsonLinesSinkTest, ALineIsOnDiskAsSoonAsWriteReturns) {
  const fs::path path = dir_ / "decisions.jsonl";
  auto sink = JsonLinesSink::Open(path.string());
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->Write(ADecision("a")).ok());
  EXPECT_EQ(ReadLines(path).size(), 1u);  // read while the sink is still open
}

TEST_F(JsonLinesSinkTest, AnUnwritablePathIsAnIoErrorNamingIt) {
  const std::string path = (dir_ / "no" / "such" / "dir" / "d.jsonl").string();
  auto sink = JsonLinesSink::Open(path);
  ASSERT_FALSE(sink.ok());
  EXPECT_EQ(sink.status().code(), StatusCode::kIoError);
  EXPECT_THAT(sink.status().message(), HasSubstr(path));
}

TEST_F(JsonLinesSinkTest, AFullDiskIsReportedAsAWriteError) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  auto sink = JsonLinesSink::Open("/dev/full");
  ASSERT_TRUE(sink.ok());
  const Status s = (*sink)->Write(ADecision("a"));
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_THAT(s.message(), HasSubstr("write failed"));
}

TEST_F(JsonLinesSinkTest, DashMeansStandardOutput) {
  auto sink = JsonLinesSink::Open("-");
  ASSERT_TRUE(sink.ok());
  testing::internal::CaptureStdout();
  ASSERT_TRUE((*sink)->Write(ADecision("to-stdout")).ok());
  ASSERT_TRUE((*sink)->Flush().ok());
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_THAT(out, HasSubstr("\"item_id\":\"to-stdout\""));
}

}  // namespace
}  // namespace rvm
