#include "admin/readiness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin/fake_service_control.h"

namespace rvm::admin {
namespace {

const ops::ReadinessCheck* Find(const std::vector<ops::ReadinessCheck>& checks,
                                const std::string& name) {
  for (const auto& c : checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(ReadinessTest, ARunningMachineIsReadyOnEveryCheck) {
  const auto checks = EvaluateReadiness(RealisticStatus());
  ASSERT_EQ(checks.size(), 4u);
  EXPECT_EQ(checks[0].name, "model");
  EXPECT_EQ(checks[1].name, "frame_source");
  EXPECT_EQ(checks[2].name, "outbox");
  EXPECT_EQ(checks[3].name, "accepting");
  EXPECT_TRUE(AllReady(checks));
}

TEST(ReadinessTest, AStalledFrameSourceFailsItsCheckWithTheAge) {
  ops::ServiceStatus s = RealisticStatus();
  s.last_frame_age_ms = 12'000;
  const auto checks = EvaluateReadiness(s, {.max_frame_age_ms = 10'000});
  EXPECT_FALSE(AllReady(checks));
  ASSERT_NE(Find(checks, "frame_source"), nullptr);
  EXPECT_FALSE(Find(checks, "frame_source")->ok);
  EXPECT_THAT(Find(checks, "frame_source")->detail, ::testing::HasSubstr("12000 ms"));
  EXPECT_TRUE(Find(checks, "model")->ok);
}

TEST(ReadinessTest, NoFrameYetIsNotReady) {
  ops::ServiceStatus s = RealisticStatus();
  s.last_frame_age_ms = -1;
  EXPECT_FALSE(Find(EvaluateReadiness(s), "frame_source")->ok);
}

TEST(ReadinessTest, AnOutboxThatStoppedAcceptingFailsTheOutboxCheck) {
  ops::ServiceStatus s = RealisticStatus();
  s.outbox->accepting = false;
  const auto checks = EvaluateReadiness(s);
  EXPECT_FALSE(Find(checks, "outbox")->ok);
  EXPECT_THAT(Find(checks, "outbox")->detail, ::testing::HasSubstr("stopped accepting"));
}

TEST(ReadinessTest, TheOutboxCheckNamesWhyTheOutboxStoppedAccepting) {
  ops::ServiceStatus s = RealisticStatus();
  s.outbox->accepting = false;
  s.outbox->not_accepting_reason = "a commit failed (I/O error: disk I/O error)";
  s.accepting = false;
  const auto checks = EvaluateReadiness(s);
  EXPECT_FALSE(Find(checks, "outbox")->ok);
  EXPECT_THAT(Find(checks, "outbox")->detail, ::testing::HasSubstr("a commit failed"));
  EXPECT_FALSE(Find(checks, "accepting")->ok);
}

TEST(ReadinessTest, MaintenanceFailsAcceptingWithItsReason) {
  ops::ServiceStatus s = RealisticStatus();
  s.maintenance = true;
  s.maintenance_reason = "cleaning the chute";
  const auto checks = EvaluateReadiness(s);
  EXPECT_FALSE(Find(checks, "accepting")->ok);
  EXPECT_THAT(Find(checks, "accepting")->detail, ::testing::HasSubstr("cleaning the chute"));
}

TEST(ReadinessTest, NoDetectorFailsTheModelCheck) {
  ops::ServiceStatus s = RealisticStatus();
  s.pipeline.workers = 0;
  EXPECT_FALSE(Find(EvaluateReadiness(s), "model")->ok);
}

TEST(ReadinessTest, AnEmptyListIsNotReady) { EXPECT_FALSE(AllReady({})); }

}  // namespace
}  // namespace rvm::admin
