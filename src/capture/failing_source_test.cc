#include "capture/failing_source.h"

#include <gtest/gtest.h>

#include "capture/synthetic_source.h"

namespace rvm {
namespace {

class FailingSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<FailingSource> Make(FailureSchedule schedule) {
    return std::make_unique<FailingSource>(
        std::make_unique<SyntheticSource>(SyntheticSceneOptions{.width = 64, .height = 48}, clock_),
        schedule, FakeSleep(clock_));
  }
  FakeClock clock_;
  Frame frame_;
};

TEST_F(FailingSourceTest, WithoutAScheduleItBehavesLikeTheInnerSource) {
  auto source = Make({});
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_EQ(source->injected_failures(), 0);
}

TEST_F(FailingSourceTest, DisappearsAfterNFramesAndFailsReopensUntilItReturns) {
  auto source = Make({.disappear_after_frames = 3, .failed_reopens = 2});
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(source->Read(frame_).ok());
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  EXPECT_TRUE(IsTemporary(source->Open()));
  EXPECT_TRUE(IsTemporary(source->Open()));
  ASSERT_TRUE(source->Open().ok());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(source->Read(frame_).ok()) << "fails only once";
}

TEST_F(FailingSourceTest, RepeatingScheduleFailsAgainAfterEachReopen) {
  auto source = Make({.disappear_after_frames = 2, .repeat = true});
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(source->Open().ok());
    ASSERT_TRUE(source->Read(frame_).ok());
    ASSERT_TRUE(source->Read(frame_).ok());
    EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  }
}

TEST_F(FailingSourceTest, DeviceThatNeverReturnsFailsEveryReopen) {
  auto source = Make({.disappear_after_frames = 0, .failed_reopens = -1});
  ASSERT_TRUE(source->Open().ok());
  EXPECT_TRUE(IsTemporary(source->Read(frame_)));
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(IsTemporary(source->Open()));
}

TEST_F(FailingSourceTest, StalledReadHangsThenFails) {
  auto source = Make({.stall_after_frames = 1, .stall_for = std::chrono::milliseconds(700)});
  ASSERT_TRUE(source->Open().ok());
  ASSERT_TRUE(source->Read(frame_).ok());
  auto before = clock_.Now();
  Status s = source->Read(frame_);
  EXPECT_TRUE(IsTemporary(s));
  EXPECT_NE(s.message().find("stall"), std::string::npos);
  EXPECT_EQ(clock_.Now() - before, std::chrono::milliseconds(700));
}

}  // namespace
}  // namespace rvm
