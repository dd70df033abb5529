#include "logging/state_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

struct Line {
  LogLevel level;
  std::string message;
  std::vector<LogField> fields;
};

class StateLogTest : public ::testing::Test {
 protected:
  StateLog Make(StateLogOptions o = {}) {
    return StateLog("uplink", clock_, o,
                    [this](LogLevel level, std::string_view component, std::string_view message,
                           const std::vector<LogField>& fields) {
                      EXPECT_EQ(component, "uplink");
                      lines_.push_back({level, std::string(message), fields});
                    });
  }
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const Line& l : lines_) out.push_back(l.message);
    return out;
  }
  FakeClock clock_;
  std::vector<Line> lines_;
};

TEST_F(StateLogTest, AnOutageIsTwoLinesHoweverManyAttemptsFail) {
  StateLog log = Make();
  log.Seed("platform", "reachable");
  for (int i = 0; i < 100; ++i) {
    log.Report("platform", "unreachable", LogLevel::kWarn, "platform unreachable");
    clock_.Advance(1s);
  }
  EXPECT_TRUE(log.Report("platform", "reachable", LogLevel::kInfo, "platform reachable again"));
  EXPECT_FALSE(log.Report("platform", "reachable", LogLevel::kInfo, "platform reachable again"));
  EXPECT_THAT(Messages(), ElementsAre("platform unreachable", "platform reachable again"));
  EXPECT_EQ(lines_[0].level, LogLevel::kWarn);
}

TEST_F(StateLogTest, ASeededStateIsNotNewsButTheFirstReportOfAnUnseenSubjectIs) {
  StateLog log = Make();
  log.Seed("circuit", "closed");
  EXPECT_FALSE(log.Report("circuit", "closed", LogLevel::kInfo, "closed"));
  EXPECT_TRUE(log.Report("handshake", "retrying", LogLevel::kWarn, "handshake failed"));
  EXPECT_EQ(log.state("handshake"), "retrying");
  EXPECT_EQ(log.state("nothing"), "");
}

TEST_F(StateLogTest, AFlappingSubjectIsLimitedAndTheNextLineCountsWhatWasHeldBack) {
  StateLog log = Make({/*burst=*/2, /*refill=*/60s});
  for (int i = 0; i < 6; ++i) {
    log.Report("circuit", i % 2 ? "closed" : "open", LogLevel::kWarn, "change " + std::to_string(i));
  }
  EXPECT_THAT(Messages(), ElementsAre("change 0", "change 1"));
  clock_.Advance(60s);
  EXPECT_TRUE(log.Report("circuit", "open", LogLevel::kWarn, "after a minute"));
  ASSERT_EQ(lines_.size(), 3u);
  ASSERT_EQ(lines_[2].fields.size(), 1u);
  EXPECT_EQ(lines_[2].fields[0].key, "suppressed_changes");
  EXPECT_EQ(lines_[2].fields[0].value, "4");
  // Other subjects have their own budget.
  EXPECT_TRUE(log.Report("heartbeat", "failing", LogLevel::kWarn, "heartbeat failing"));
}

}  // namespace
}  // namespace rvm
