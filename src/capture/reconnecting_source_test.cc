#include "capture/reconnecting_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "capture/failing_source.h"
#include "capture/synthetic_source.h"

namespace rvm {
namespace {

using std::chrono::milliseconds;

class ReconnectingSourceTest : public ::testing::Test {
 protected:
  // A sleep that advances the fake clock and records each wait.
  SleepFn RecordingSleep() {
    return [this](std::chrono::nanoseconds d) {
      waits_.push_back(std::chrono::duration_cast<milliseconds>(d));
      clock_.Advance(d);
    };
  }
  std::unique_ptr<ReconnectingSource> Make(FailureSchedule schedule, ReconnectOptions options) {
    auto inner = std::make_unique<FailingSource>(
        std::make_unique<SyntheticSource>(SyntheticSceneOptions{.width = 64, .height = 48}, clock_),
        schedule, RecordingSleep());
    return std::make_unique<ReconnectingSource>(std::move(inner), options, clock_,
                                                RecordingSleep());
  }
  static ReconnectOptions Options() {
    ReconnectOptions o;
    o.initial_backoff = milliseconds(100);
    o.max_backoff = milliseconds(400);
    o.failures_before_reopen = 1;
    o.stall_timeout = milliseconds(1000);
    return o;
  }

  FakeClock clock_;
  std::vector<milliseconds> waits_;
  Frame frame_;
};

TEST_F(ReconnectingSourceTest, RecoversWhenTheCameraReturnsWithCappedExponentialBackoff) {
  auto source = Make({.disappear_after_frames = 5, .failed_reopens = 3}, Options());
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_EQ(source->state(), SourceState::kConnected);

  Status lost = source->Read(frame_);
  EXPECT_TRUE(IsTemporary(lost));
  EXPECT_EQ(source->state(), SourceState::kReconnecting);
  EXPECT_NE(source->last_error().message().find("disappeared"), std::string::npos);
  // Three failed reopen attempts, each reported to the caller.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_EQ(source->failed_attempts(), 3);
  // The fourth attempt succeeds and delivers a frame in the same call.
  ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_EQ(source->state(), SourceState::kConnected);
  EXPECT_EQ(source->reconnects(), 1);
  EXPECT_EQ(frame_.seq, 5) << "numbering continues across the outage";
  EXPECT_EQ(waits_, (std::vector<milliseconds>{milliseconds(100), milliseconds(200),
                                               milliseconds(400), milliseconds(400)}));
}

TEST_F(ReconnectingSourceTest, BackoffResetsAfterFramesFlowAgain) {
  auto source = Make({.disappear_after_frames = 2, .failed_reopens = 2, .repeat = true}, Options());
  ASSERT_TRUE(source->Open().ok());
  for (int outage = 0; outage < 2; ++outage) {
    waits_.clear();
    while (source->Read(frame_).ok()) {
    }  // frames until the device disappears
    while (!source->Read(frame_).ok()) {
    }  // the outage, until it is back
    EXPECT_EQ(waits_,
              (std::vector<milliseconds>{milliseconds(100), milliseconds(200), milliseconds(400)}))
        << "outage " << outage;
  }
  EXPECT_EQ(source->reconnects(), 2);
}

TEST_F(ReconnectingSourceTest, StallLongerThanTheTimeoutTriggersAReopen) {
  ReconnectOptions options = Options();
  options.failures_before_reopen = 100;  // only the stall timer can trigger it
  auto source = Make({.stall_after_frames = 3, .stall_for = milliseconds(1500)}, options);
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(source->Read(frame_).ok());
  Status s = source->Read(frame_);
  EXPECT_TRUE(IsTemporary(s));
  EXPECT_EQ(source->state(), SourceState::kReconnecting);
  EXPECT_NE(source->last_error().message().find("stall"), std::string::npos);
  ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_EQ(source->reconnects(), 1);
}

TEST_F(ReconnectingSourceTest, AShortGlitchBelowTheThresholdsDoesNotReopen) {
  ReconnectOptions options = Options();
  options.failures_before_reopen = 3;
  auto source = Make({.stall_after_frames = 2, .stall_for = milliseconds(10)}, options);
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_EQ(source->state(), SourceState::kConnected);
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_EQ(source->state(), SourceState::kReconnecting) << "the third failure in a row";
}

TEST_F(ReconnectingSourceTest, CameraAbsentAtStartIsNotFatalAndIsPickedUpLater) {
  // A source whose first Open fails: disappear at once, then two failed reopens.
  auto inner = std::make_unique<FailingSource>(
      std::make_unique<SyntheticSource>(SyntheticSceneOptions{.width = 64, .height = 48}, clock_),
      FailureSchedule{.disappear_after_frames = 0, .failed_reopens = 2}, RecordingSleep());
  FailingSource* failing = inner.get();
  ASSERT_TRUE(failing->Open().ok());
  EXPECT_FALSE(failing->Read(frame_).ok());  // now "gone"; the next two opens fail
  ReconnectingSource source(std::move(inner), Options(), clock_, RecordingSleep());
  ASSERT_TRUE(source.Open().ok());
  EXPECT_EQ(source.state(), SourceState::kReconnecting);
  EXPECT_FALSE(source.Read(frame_).ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_EQ(source.state(), SourceState::kConnected);
}

TEST_F(ReconnectingSourceTest, FatalErrorsPassThroughWithoutRetrying) {
  SyntheticSceneOptions bad{.width = 0};
  ReconnectingSource source(std::make_unique<SyntheticSource>(bad, clock_), Options(), clock_,
                            RecordingSleep());
  Status s = source.Open();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(waits_.empty());
}

TEST_F(ReconnectingSourceTest, EndOfAFiniteStreamIsPassedOnWhenConfigured) {
  ReconnectOptions options = Options();
  options.end_of_stream_is_failure = false;
  ReconnectingSource source(
      std::make_unique<SyntheticSource>(SyntheticSceneOptions{.frame_count = 1}, clock_), options,
      clock_, RecordingSleep());
  ASSERT_TRUE(source.Open().ok());
  ASSERT_TRUE(source.Read(frame_).ok());
  EXPECT_TRUE(IsEndOfStream(source.Read(frame_)));
}

TEST_F(ReconnectingSourceTest, HealthIsReadableFromAnotherThreadDuringAnOutage) {
  auto source = Make({.disappear_after_frames = 1, .failed_reopens = 1000}, Options());
  ASSERT_TRUE(source->Open().ok());
  std::atomic<bool> stop{false};
  std::thread health([&] {
    while (!stop.load()) {
      (void)source->state();
      (void)source->last_error();
      (void)source->failed_attempts();
    }
  });
  for (int i = 0; i < 2000; ++i) (void)source->Read(frame_);
  stop = true;
  health.join();
  EXPECT_GT(source->failed_attempts(), 0);
}

TEST(ReconnectOptionsTest, ValidateNamesTheBadField) {
  ReconnectOptions o;
  o.max_backoff = milliseconds(1);
  EXPECT_NE(ReconnectingSource::Validate(o).message().find("max_backoff"), std::string::npos);
  o = {};
  o.failures_before_reopen = 0;
  EXPECT_NE(ReconnectingSource::Validate(o).message().find("failures_before_reopen"),
            std::string::npos);
  EXPECT_TRUE(ReconnectingSource::Validate(ReconnectOptions{}).ok());
}

}  // namespace
}  // namespace rvm
