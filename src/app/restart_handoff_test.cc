#include "app/restart_handoff.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace rvm::app {
namespace {

using std::chrono::milliseconds;

TEST(RestartHandoffTest, TheFirstRequestStopsThePipelineAndLaterOnesJoinIt) {
  int stops = 0;
  RestartHandoff handoff([&] { ++stops; });
  EXPECT_FALSE(handoff.requested());
  EXPECT_EQ(handoff.Request(), 0);
  EXPECT_EQ(handoff.Request(), 0);
  EXPECT_TRUE(handoff.requested());
  EXPECT_EQ(stops, 1);
  handoff.Complete(Status::Ok());
  EXPECT_FALSE(handoff.requested());
  EXPECT_EQ(handoff.Request(), 1);
  EXPECT_EQ(stops, 2);
}

TEST(RestartHandoffTest, EveryWaiterGetsTheOutcomeOfTheRestartItAskedFor) {
  RestartHandoff handoff(nullptr);
  std::vector<std::thread> askers;
  std::atomic<int> failed{0};
  for (int i = 0; i < 3; ++i) {
    askers.emplace_back([&] {
      const Status s = handoff.WaitPast(handoff.Request(), milliseconds(10'000));
      if (s.code() == StatusCode::kNotFound) ++failed;
    });
  }
  // The controlling thread sees the request and completes it.
  while (!handoff.requested()) std::this_thread::sleep_for(milliseconds(1));
  std::this_thread::sleep_for(milliseconds(20));
  handoff.Complete(NotFound("the camera is gone"));
  for (auto& t : askers) t.join();
  EXPECT_EQ(failed.load(), 3);
  EXPECT_EQ(handoff.last_result().message(), "the camera is gone");
}

TEST(RestartHandoffTest, AWaiterGivesUpAfterItsTimeoutNamingIt) {
  RestartHandoff handoff(nullptr);
  const Status s = handoff.WaitPast(handoff.Request(), milliseconds(1'000));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "the pipeline did not restart within 1 s");
}

}  // namespace
}  // namespace rvm::app
