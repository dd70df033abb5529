#include "app/tee_sink.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "deposit/memory_decision_sink.h"

namespace rvm::app {
namespace {

struct LoggedLine {
  LogLevel level;
  std::string message;
  std::string error;  // the "error" field, if any
};

// A primary and one side log, both in memory, and the lines the tee logs.
class TeeSinkTest : public ::testing::Test {
 protected:
  TeeSinkTest() {
    auto primary = std::make_unique<MemoryDecisionSink>();
    auto side = std::make_unique<MemoryDecisionSink>();
    primary_ = primary.get();
    side_ = side.get();
    std::vector<std::unique_ptr<DecisionSink>> side_logs;
    side_logs.push_back(std::move(side));
    tee_ =
        std::make_unique<TeeSink>(std::move(primary), std::move(side_logs), clock_,
                                  [this](LogLevel level, std::string_view, std::string_view message,
                                         const std::vector<LogField>& fields) {
                                    LoggedLine line{level, std::string(message), ""};
                                    for (const LogField& f : fields) {
                                      if (f.key == "error") line.error = f.value;
                                    }
                                    lines_.push_back(line);
                                  });
  }

  static Decision MakeDecision(const std::string& id) {
    Decision d;
    d.item_id = id;
    d.machine_id = "rvm-1";
    d.accepted = true;
    return d;
  }

  FakeClock clock_;
  MemoryDecisionSink* primary_ = nullptr;
  MemoryDecisionSink* side_ = nullptr;
  std::unique_ptr<TeeSink> tee_;
  std::vector<LoggedLine> lines_;
};

TEST_F(TeeSinkTest, ARecordGoesToThePrimaryAndThenToTheSideLog) {
  ASSERT_TRUE(tee_->Write(MakeDecision("a")).ok());
  SessionSummary summary;
  summary.session.session_id = "s-1";
  ASSERT_TRUE(tee_->WriteSessionSummary(summary).ok());
  ASSERT_EQ(primary_->decisions().size(), 1u);
  ASSERT_EQ(side_->decisions().size(), 1u);
  EXPECT_EQ(side_->decisions()[0].item_id, "a");
  EXPECT_EQ(primary_->summaries().size(), 1u);
  EXPECT_EQ(side_->summaries().size(), 1u);
  EXPECT_EQ(tee_->side_failures(), 0);
  EXPECT_TRUE(lines_.empty());
}

TEST_F(TeeSinkTest, ASideLogFailureIsCountedAndLoggedButTheRecordIsTaken) {
  side_->FailWith(IoError("decisions file 'x': write failed: No space left on device"));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(tee_->Write(MakeDecision("d-" + std::to_string(i))).ok())
        << "the primary took it: the item is taken";
  }
  SessionSummary summary;
  summary.session.session_id = "s-1";
  EXPECT_TRUE(tee_->WriteSessionSummary(summary).ok());
  EXPECT_EQ(primary_->decisions().size(), 5u);
  EXPECT_EQ(primary_->summaries().size(), 1u);
  EXPECT_EQ(tee_->side_failures(), 6);
  // One line for the whole failure, with its error; not one per record.
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].level, LogLevel::kWarn);
  EXPECT_NE(lines_[0].error.find("No space left"), std::string::npos);

  // A flush with nothing left to write says nothing about the file.
  side_->FailWith(Status::Ok());
  EXPECT_TRUE(tee_->Flush().ok());
  EXPECT_EQ(lines_.size(), 1u);
  EXPECT_TRUE(tee_->Write(MakeDecision("d-5")).ok());
  EXPECT_TRUE(tee_->Write(MakeDecision("d-6")).ok());
  ASSERT_EQ(lines_.size(), 2u) << "and one when it writes again";
  EXPECT_EQ(lines_[1].level, LogLevel::kInfo);
  EXPECT_EQ(tee_->side_failures(), 6);
  EXPECT_EQ(side_->decisions().size(), 2u);
}

TEST_F(TeeSinkTest, ARecordThePrimaryRefusesIsAnErrorAndGoesNowhereElse) {
  primary_->FailWith(ResourceExhausted("outbox: not accepting"));
  const Status s = tee_->Write(MakeDecision("a"));
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(side_->decisions().empty()) << "a side log never shows an item that was not taken";
  SessionSummary summary;
  EXPECT_EQ(tee_->WriteSessionSummary(summary).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(side_->summaries().empty());
  EXPECT_EQ(tee_->side_failures(), 0);
}

TEST_F(TeeSinkTest, FlushAnswersWithThePrimaryAndCountsASideLogFailure) {
  side_->FailWith(IoError("decisions file 'x': fsync failed"));
  EXPECT_TRUE(tee_->Flush().ok());
  EXPECT_EQ(side_->flushes(), 1);
  EXPECT_EQ(tee_->side_failures(), 1);
  primary_->FailWith(IoError("outbox: flush failed"));
  EXPECT_EQ(tee_->Flush().code(), StatusCode::kIoError);
}

TEST_F(TeeSinkTest, AcceptingIsThePrimarys) {
  side_->SetAccepting(false);
  EXPECT_TRUE(tee_->Accepting());
  primary_->SetAccepting(false);
  EXPECT_FALSE(tee_->Accepting());
}

TEST(TeeSinkAloneTest, WithoutSideLogsThePrimarysStatusIsReturned) {
  FakeClock clock;
  auto primary = std::make_unique<MemoryDecisionSink>();
  MemoryDecisionSink* p = primary.get();
  TeeSink tee(std::move(primary), {}, clock);
  Decision d;
  d.item_id = "a";
  EXPECT_TRUE(tee.Write(d).ok());
  p->FailWith(IoError("disk"));
  EXPECT_EQ(tee.Write(d).code(), StatusCode::kIoError);
  EXPECT_EQ(tee.side_failures(), 0);
}

}  // namespace
}  // namespace rvm::app
