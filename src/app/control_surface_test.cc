#include "app/control_surface.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rvm::app {
namespace {

using std::chrono::milliseconds;

// The running service as the control surface sees it, with every answer set
// by the test and every request recorded.
class FakeParts final : public ServiceParts {
 public:
  PipelineStats pipeline_stats() override { return stats; }
  bool pipeline_finished() override { return finished; }
  int64_t pipeline_restarts() override { return restarts; }
  std::string DescribeSource() override { return "fake camera"; }
  void Trigger() override { ++triggers; }
  Status RestartPipeline() override {
    ++restarts;
    return restart_result;
  }
  std::optional<outbox::OutboxStats> OutboxStats() override { return outbox; }
  std::optional<uplink::DeliveryStats> DeliveryStats() override { return delivery; }
  int64_t decisions_file_failures() override { return decisions_file_failures_count; }
  int64_t images_skipped() const override { return images_skipped_count; }
  void SetOutOfService(bool on, const std::string& reason) override {
    out_of_service = on;
    out_of_service_reason = reason;
  }

  PipelineStats stats;
  bool finished = false;
  int64_t restarts = 0;
  int triggers = 0;
  Status restart_result;
  std::optional<outbox::OutboxStats> outbox = outbox::OutboxStats{};
  std::optional<uplink::DeliveryStats> delivery;
  int64_t decisions_file_failures_count = 0;
  int64_t images_skipped_count = 0;
  bool out_of_service = false;
  std::string out_of_service_reason;
};

class ControlSurfaceTest : public ::testing::Test {
 protected:
  ControlSurfaceTest() {
    ControlSurfaceOptions o;
    o.machine_id = "rvm-1";
    o.model = "models/m.onnx";
    o.readiness.max_frame_age_ms = 5000;
    o.recent_logs = [](int max) { return std::vector<std::string>(max, "line"); };
    control_ = std::make_unique<ControlSurface>(o, parts_, settings_, activity_, clock_);
  }

  // Readiness check `name`.
  ops::ReadinessCheck Check(const std::string& name) {
    for (const ops::ReadinessCheck& c : control_->Readiness()) {
      if (c.name == name) return c;
    }
    ADD_FAILURE() << "no check " << name;
    return {};
  }

  FakeClock clock_;
  FakeParts parts_;
  std::vector<RuntimeSettings> applied_;
  LiveSettings settings_{Config{}, [this](const RuntimeSettings& s) { applied_.push_back(s); }};
  const std::vector<std::string> labels_ = {"bottle"};
  RecentActivity activity_{{}, labels_, clock_};
  std::unique_ptr<ControlSurface> control_;
};

TEST_F(ControlSurfaceTest, StatusReadsEveryPartAtOneMoment) {
  clock_.Advance(std::chrono::seconds(90));
  parts_.stats.frames_sampled = 42;
  parts_.stats.last_frame_ms =
      std::chrono::duration_cast<milliseconds>(clock_.Now().time_since_epoch()).count() - 250;
  parts_.restarts = 2;
  parts_.decisions_file_failures_count = 3;
  parts_.images_skipped_count = 5;
  const ops::ServiceStatus s = control_->Status();
  EXPECT_EQ(s.machine_id, "rvm-1");
  EXPECT_DOUBLE_EQ(s.uptime_s, 90);
  EXPECT_EQ(s.pipeline.frames_sampled, 42);
  EXPECT_EQ(s.last_frame_age_ms, 250);
  EXPECT_EQ(s.pipeline_restarts, 2);
  EXPECT_EQ(s.decisions_file_failures, 3);
  EXPECT_EQ(s.images_skipped, 5);
  EXPECT_EQ(s.source, "fake camera");
  EXPECT_DOUBLE_EQ(s.conf_threshold, Config{}.detector.conf_threshold);
  EXPECT_TRUE(s.accepting);
  EXPECT_FALSE(s.delivery.has_value());
}

TEST_F(ControlSurfaceTest, AThresholdGoesThroughTheSettingsAndIsReportedFromThere) {
  ASSERT_TRUE(control_->SetConfThreshold(0.65).ok());
  ASSERT_EQ(applied_.size(), 1u);
  EXPECT_DOUBLE_EQ(applied_[0].conf_threshold, 0.65);
  EXPECT_DOUBLE_EQ(control_->Status().conf_threshold, 0.65);
  const Status bad = control_->SetConfThreshold(-2);
  EXPECT_EQ(bad.message(), "detector.conf_threshold = -2: must be in [0, 1]");
  EXPECT_DOUBLE_EQ(control_->Status().conf_threshold, 0.65);
}

TEST_F(ControlSurfaceTest, MaintenanceStopsAcceptingAndSaysWhyUntilItEnds) {
  ASSERT_TRUE(control_->SetMaintenance(true, "cleaning the chute").ok());
  EXPECT_TRUE(parts_.out_of_service);
  EXPECT_EQ(parts_.out_of_service_reason, "maintenance: cleaning the chute");
  const ops::ServiceStatus s = control_->Status();
  EXPECT_TRUE(s.maintenance);
  EXPECT_FALSE(s.accepting);
  EXPECT_EQ(Check("accepting").detail, "in maintenance (cleaning the chute)");
  ASSERT_TRUE(control_->SetMaintenance(false, "").ok());
  EXPECT_FALSE(parts_.out_of_service);
  EXPECT_TRUE(control_->Status().accepting);
}

TEST_F(ControlSurfaceTest, AFullOutboxMakesTheServiceNotAccepting) {
  parts_.outbox->accepting = false;
  EXPECT_FALSE(control_->Status().accepting);
  EXPECT_FALSE(Check("accepting").ok);
  EXPECT_EQ(Check("accepting").detail,
            "the outbox is not accepting records (0 of 0 quota bytes used): items are refused");
  EXPECT_FALSE(Check("outbox").ok);
}

TEST_F(ControlSurfaceTest, AnOutboxWhoseCommitFailedFailsReadinessWithItsReason) {
  parts_.outbox->accepting = false;
  parts_.outbox->not_accepting_reason = "a commit failed (I/O error: disk I/O error)";
  EXPECT_FALSE(control_->Status().accepting);
  EXPECT_FALSE(Check("outbox").ok);
  EXPECT_EQ(Check("outbox").detail,
            "stopped accepting records (a commit failed (I/O error: disk I/O error))");
  EXPECT_FALSE(Check("accepting").ok);
  EXPECT_NE(Check("accepting").detail.find("a commit failed"), std::string::npos);
}

TEST_F(ControlSurfaceTest, TheFrameSourceIsReadyOnlyWhileFramesKeepComing) {
  EXPECT_EQ(Check("frame_source").detail, "no frame received yet from fake camera");
  const int64_t now =
      std::chrono::duration_cast<milliseconds>(clock_.Now().time_since_epoch()).count();
  parts_.stats.last_frame_ms = now;
  EXPECT_TRUE(Check("frame_source").ok);
  clock_.Advance(milliseconds(6000));
  EXPECT_FALSE(Check("frame_source").ok);
  EXPECT_EQ(Check("frame_source").detail,
            "no frame for 6000 ms (limit 5000 ms) from fake camera");
  parts_.finished = true;
  EXPECT_EQ(Check("frame_source").detail, "the pipeline is not running (fake camera)");
}

TEST_F(ControlSurfaceTest, ReadinessIsTheSharedDefinitionAppliedToTheServicesStatus) {
  parts_.stats.workers = 1;
  parts_.stats.last_frame_ms =
      std::chrono::duration_cast<milliseconds>(clock_.Now().time_since_epoch()).count();
  const auto checks = control_->Readiness();
  EXPECT_TRUE(admin::AllReady(checks));
  const auto shared = admin::EvaluateReadiness(control_->Status(), {.max_frame_age_ms = 5000});
  ASSERT_EQ(checks.size(), shared.size());
  for (size_t i = 0; i < checks.size(); ++i) {
    EXPECT_EQ(checks[i].name, shared[i].name);
    EXPECT_EQ(checks[i].ok, shared[i].ok) << checks[i].name;
    EXPECT_EQ(checks[i].detail, shared[i].detail) << checks[i].name;
  }
  // The service always uses its outbox: statistics it cannot read fail the
  // check (a fake without an outbox passes it as "not used").
  parts_.outbox.reset();
  EXPECT_FALSE(Check("outbox").ok);
  EXPECT_EQ(Check("outbox").detail, "outbox statistics unreadable");
  // Without a pipeline there is no detector.
  parts_.stats.workers = 0;
  EXPECT_FALSE(Check("model").ok);
}

TEST_F(ControlSurfaceTest, RequestsReachTheParts) {
  control_->Trigger();
  EXPECT_EQ(parts_.triggers, 1);
  parts_.restart_result = Unavailable("no camera");
  EXPECT_EQ(control_->RestartPipeline().message(), "no camera");
  EXPECT_EQ(control_->RecentLogs(2).size(), 2u);
  EXPECT_TRUE(control_->SnapshotJpeg().empty());
  Decision d;
  d.item_id = "x";
  activity_.OnDecision(d);
  ASSERT_EQ(control_->RecentDecisions(5).size(), 1u);
}

}  // namespace
}  // namespace rvm::app
