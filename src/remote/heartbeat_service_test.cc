// HeartbeatService against rvm-platform-sim over loopback HTTP: the heartbeat
// on both contracts, every command end to end (queued at the sim, delivered
// in a heartbeat reply, executed on a fake service, its result carried by
// the next heartbeat and stored by the sim), refusals, and failures.
#include "remote/heartbeat_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform_sim/platform_sim.h"
#include "remote/dataset_uploader.h"
#include "remote/fake_service_control.h"
#include "uplink/edge_v1_client.h"
#include "uplink/uplink_test_util.h"
#include "uplink/v2_client.h"

namespace rvm::remote {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using testing::FakeServiceControl;
using ::testing::HasSubstr;

constexpr int64_t kInterval = 30'000;

HeartbeatOptions Options() {
  HeartbeatOptions o;
  o.interval_ms = kInterval;
  o.max_backoff_ms = 240'000;
  o.ack_delay_ms = 1'000;
  o.version = "fallback-version";
  o.seed = 7;
  return o;
}

TEST(HeartbeatOptionsTest, TheIntervalComesFromTheUplinkConfiguration) {
  UplinkConfig uplink;
  uplink.heartbeat_interval_s = 45;
  const HeartbeatOptions o = HeartbeatOptionsFromConfig(uplink, "1.0.0");
  EXPECT_EQ(o.interval_ms, 45'000);
  EXPECT_EQ(o.version, "1.0.0");
  EXPECT_GE(o.max_backoff_ms, o.interval_ms);
}

TEST(DatasetUploaderTest, ABaseUrlAndAKeyAreRequired) {
  FakeClock clock;
  auto o = uplink::testing::SimOptions("/");
  EXPECT_THAT(DatasetUploader::Create(o, clock).status().message(), HasSubstr("uplink.base_url"));
  o = uplink::testing::SimOptions("http://127.0.0.1:1");
  o.api_key = "";
  EXPECT_THAT(DatasetUploader::Create(o, clock).status().message(), HasSubstr("uplink.api_key"));
}

class HeartbeatEdgeV1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sim_.Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    auto c = uplink::EdgeV1Client::Create(uplink::testing::SimOptions(sim_.base_url()), clock_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
    heartbeat_ = std::make_unique<HeartbeatService>(*client_, service_, clock_, Options());
  }

  // Queues a command at the sim, runs the heartbeat that delivers it and the
  // one that carries its result; returns the result the sim stored.
  json RoundTrip(const std::string& action, const json& payload = nullptr) {
    const size_t before = sim_.store().ListCommandResults().size();
    EXPECT_TRUE(sim_.QueueCommand(1, action, payload).ok());
    const HeartbeatRound delivered = heartbeat_->RunOnce();
    EXPECT_TRUE(delivered.status.ok()) << delivered.status.ToString();
    EXPECT_EQ(delivered.commands, 1);
    EXPECT_EQ(delivered.next, milliseconds(1'000));  // the result goes out soon
    const HeartbeatRound acked = heartbeat_->RunOnce();
    EXPECT_TRUE(acked.status.ok()) << acked.status.ToString();
    EXPECT_EQ(acked.next, milliseconds(kInterval));
    const json results = sim_.store().ListCommandResults();
    EXPECT_EQ(results.size(), before + 1);
    return results.empty() ? json() : results.back()["result"];
  }

  // Snapshots go to the edge v1 dataset upload route.
  void UseDatasetUploader() {
    auto uploader = DatasetUploader::Create(uplink::testing::SimOptions(sim_.base_url()), clock_);
    ASSERT_TRUE(uploader.ok()) << uploader.status().ToString();
    uploader_ = std::move(uploader).value();
    heartbeat_ =
        std::make_unique<HeartbeatService>(*client_, service_, clock_, Options(), uploader_.get());
  }

  json LastHeartbeat() {
    const json rows = sim_.store().ListRecords(sim::RecordKind::kHeartbeat);
    return rows.empty() ? json() : rows.back()["payload"];
  }

  sim::PlatformSim sim_{sim::PlatformSim::Options{}};
  FakeClock clock_{1'770'000'000'000};
  FakeServiceControl service_;
  std::unique_ptr<uplink::PlatformClient> client_;
  std::unique_ptr<DatasetUploader> uploader_;
  std::unique_ptr<HeartbeatService> heartbeat_;
};

TEST_F(HeartbeatEdgeV1Test, AHeartbeatReportsVersionAndHealth) {
  const HeartbeatRound round = heartbeat_->RunOnce();
  ASSERT_TRUE(round.status.ok()) << round.status.ToString();
  EXPECT_EQ(round.next, milliseconds(kInterval));

  const json hb = LastHeartbeat();
  EXPECT_EQ(hb["version"], "0.1.0-test");
  EXPECT_EQ(hb["hardware_id"], "RVM-SIM-1");
  const json& h = hb["health_metrics"];
  EXPECT_EQ(h["items_decided"], 12);
  EXPECT_EQ(h["frames_sampled"], 1000);
  EXPECT_EQ(h["backlog_records"], 3);
  EXPECT_EQ(h["accepting"], true);
  EXPECT_EQ(h["maintenance"], false);
  EXPECT_EQ(h["uptime_s"], 42.0);
  EXPECT_TRUE(h["memory_usage_percent"].is_number());
  EXPECT_FALSE(hb.contains("command_results"));

  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.attempts, 1);
  EXPECT_EQ(s.sent, 1);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.state, "online");
  EXPECT_EQ(s.last_success_ms, clock_.WallMillis());
}

// What the platform needs to see why a machine takes no items: the
// outbox's reason, and failures of the decisions file (a side log).
TEST_F(HeartbeatEdgeV1Test, AnOutboxThatTakesNoRecordsIsReportedWithItsReason) {
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  EXPECT_FALSE(LastHeartbeat()["health_metrics"].contains("outbox_not_accepting_reason"));
  EXPECT_EQ(LastHeartbeat()["health_metrics"]["decisions_file_failures"], 0);
  EXPECT_EQ(LastHeartbeat()["health_metrics"]["images_skipped"], 0);
  service_.set_status([](ops::ServiceStatus& s) {
    s.accepting = false;
    s.outbox->accepting = false;
    s.outbox->not_accepting_reason = "disk full: 120 bytes free";
    s.decisions_file_failures = 4;
    s.images_skipped = 6;
  });
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  const json h = LastHeartbeat()["health_metrics"];
  EXPECT_EQ(h["accepting"], false);
  EXPECT_EQ(h["outbox_accepting"], false);
  EXPECT_EQ(h["outbox_not_accepting_reason"], "disk full: 120 bytes free");
  EXPECT_EQ(h["decisions_file_failures"], 4);
  EXPECT_EQ(h["images_skipped"], 6);
}

TEST_F(HeartbeatEdgeV1Test, MaintenanceEndToEnd) {
  const json r = RoundTrip("MAINTENANCE");
  EXPECT_EQ(r["action"], "MAINTENANCE");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_TRUE(r["timestamp"].is_string());
  EXPECT_TRUE(service_.Status().maintenance);
  EXPECT_THAT(service_.calls(), ElementsAre("SetMaintenance(on, platform command MAINTENANCE)"));
  // The heartbeat after it says so.
  EXPECT_EQ(LastHeartbeat()["health_metrics"]["maintenance"], true);
  EXPECT_EQ(LastHeartbeat()["health_metrics"]["accepting"], false);
}

TEST_F(HeartbeatEdgeV1Test, ExitMaintenanceEndToEnd) {
  ASSERT_TRUE(service_.SetMaintenance(true, "door open").ok());
  const json r = RoundTrip("EXIT_MAINTENANCE");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["message"], "left maintenance");
  EXPECT_FALSE(service_.Status().maintenance);
}

TEST_F(HeartbeatEdgeV1Test, SetConfThresholdEndToEnd) {
  const json r = RoundTrip("SET_CONF_THRESHOLD", {{"threshold", 0.7}});
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["conf_threshold"], 0.7);
  EXPECT_DOUBLE_EQ(service_.Status().conf_threshold, 0.7);
}

TEST_F(HeartbeatEdgeV1Test, CaptureImageEndToEnd) {
  service_.set_snapshot(std::string(2048, 'j'));
  const json r = RoundTrip("CAPTURE_IMAGE");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["bytes"], 2048);
  EXPECT_EQ(r["data"]["sha256"].get<std::string>().size(), 64u);
}

TEST_F(HeartbeatEdgeV1Test, CaptureImageIsUploadedToTheDatasetRoute) {
  UseDatasetUploader();
  const std::string jpeg = "\xFF\xD8\xFF\xE0" + std::string(1000, 'x');
  service_.set_snapshot(jpeg);
  const json r = RoundTrip("CAPTURE_IMAGE");
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["message"], "snapshot uploaded");
  EXPECT_THAT(r["data"]["uploaded"]["file_path"].get<std::string>(), HasSubstr("dataset/"));
  const json uploads = sim_.store().ListRecords(sim::RecordKind::kUpload);
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0]["payload"]["image"]["size"], jpeg.size());
  EXPECT_EQ(uploads[0]["payload"]["image"]["sha256"], r["data"]["sha256"]);
}

TEST_F(HeartbeatEdgeV1Test, AFailedSnapshotUploadIsReportedAsFailed) {
  UseDatasetUploader();
  service_.set_snapshot("\xFF\xD8\xFF\xE0jpeg");
  sim::FaultSettings f;
  f.error.next = 1;
  f.path_filter = "/dataset/upload";
  sim_.SetFaults(f);
  const json r = RoundTrip("CAPTURE_IMAGE");
  EXPECT_EQ(r["status"], "failed");
  EXPECT_THAT(r["data"]["upload_error"].get<std::string>(), HasSubstr("dataset upload: HTTP 50"));
}

TEST_F(HeartbeatEdgeV1Test, ReportLogsEndToEnd) {
  service_.set_logs({"started", "model loaded", "camera open"});
  const json r = RoundTrip("REPORT_LOGS", {{"lines", 2}});
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["lines"], (json{"model loaded", "camera open"}));
}

TEST_F(HeartbeatEdgeV1Test, ReportSystemInfoEndToEnd) {
  const json r = RoundTrip("REPORT_SYSTEM_INFO");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["machine_id"], "rvm-test");
  EXPECT_EQ(r["data"]["model"], "model.onnx");
}

TEST_F(HeartbeatEdgeV1Test, RestartEndToEnd) {
  const json r = RoundTrip("RESTART");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["pipeline_restarts"], 1);
  EXPECT_THAT(service_.calls(), ElementsAre("RestartPipeline"));
}

TEST_F(HeartbeatEdgeV1Test, DangerousCommandsAreRefusedAndReported) {
  for (const auto& [action, payload] :
       std::vector<std::pair<std::string, json>>{{"REBOOT", nullptr},
                                                 {"GIT_PULL", nullptr},
                                                 {"UPDATE_SERVICE", nullptr},
                                                 {"SHELL_COMMAND", {{"command", "rm -rf /"}}},
                                                 {"RUN_INFERENCE", {{"image_path", "/srv/a.jpg"}}},
                                                 {"CAPTURE_IMAGE", {{"path", "/tmp/x.jpg"}}}}) {
    const json r = RoundTrip(action, payload);
    EXPECT_EQ(r["action"], action);
    EXPECT_EQ(r["status"], "refused") << r.dump();
  }
  EXPECT_TRUE(service_.calls().empty());
  EXPECT_EQ(heartbeat_->Stats().commands.refused, 6);
}

TEST_F(HeartbeatEdgeV1Test, UnknownAndMalformedCommandsAreRejectedAndReported) {
  json r = RoundTrip("READ_SENSOR", {{"component_name", "bin"}});
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_EQ(r["message"], "unknown action 'READ_SENSOR'");
  r = RoundTrip("MAINTENANCE", "right now");  // a payload that is not an object
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("'payload' must be an object"));
  r = RoundTrip("SET_CONF_THRESHOLD", {{"threshold", "high"}});
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_TRUE(service_.calls().empty());
  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.commands.received, 3);
  EXPECT_EQ(s.commands.rejected, 3);
  EXPECT_EQ(s.commands.executed, 0);
}

TEST_F(HeartbeatEdgeV1Test, SeveralCommandsInOneReplyRunInOrder) {
  ASSERT_TRUE(sim_.QueueCommand(1, "MAINTENANCE").ok());
  ASSERT_TRUE(sim_.QueueCommand(1, "RESTART").ok());
  ASSERT_TRUE(sim_.QueueCommand(1, "EXIT_MAINTENANCE").ok());
  EXPECT_EQ(heartbeat_->RunOnce().commands, 3);
  EXPECT_EQ(service_.calls().size(), 3u);
  EXPECT_EQ(heartbeat_->Stats().results_pending, 3);
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  const json results = sim_.store().ListCommandResults();
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["result"]["action"], "MAINTENANCE");
  EXPECT_EQ(results[1]["result"]["action"], "RESTART");
  EXPECT_EQ(results[2]["result"]["action"], "EXIT_MAINTENANCE");
  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.results_pending, 0);
  EXPECT_EQ(s.results_sent, 3);
  EXPECT_EQ(s.commands.executed, 3);
}

TEST_F(HeartbeatEdgeV1Test, ResultsWaitForAnAcknowledgedHeartbeat) {
  ASSERT_TRUE(sim_.QueueCommand(1, "RESTART").ok());
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  sim::FaultSettings f;
  f.error.next = 1;  // the next heartbeat gets a 500 and is not processed
  sim_.SetFaults(f);
  const HeartbeatRound failed = heartbeat_->RunOnce();
  EXPECT_FALSE(failed.status.ok());
  EXPECT_THAT(failed.status.message(), HasSubstr("HTTP 50"));
  EXPECT_TRUE(sim_.store().ListCommandResults().empty());
  EXPECT_EQ(heartbeat_->Stats().results_pending, 1);

  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  const json results = sim_.store().ListCommandResults();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["result"]["action"], "RESTART");
  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.sent, 2);
  EXPECT_EQ(s.state, "online");
}

TEST_F(HeartbeatEdgeV1Test, ALostReplyLosesItsCommandsButNotEarlierResults) {
  // The contract delivers at most once: a reply cut short in transit took its
  // commands with it. Results of earlier commands go again, so the platform
  // may see them twice but never loses them.
  ASSERT_TRUE(sim_.QueueCommand(1, "MAINTENANCE").ok());
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  ASSERT_TRUE(sim_.QueueCommand(1, "RESTART").ok());
  sim::FaultSettings f;
  f.malformed_json.next = 1;  // processed, then a body cut in half
  sim_.SetFaults(f);
  EXPECT_FALSE(heartbeat_->RunOnce().status.ok());
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  EXPECT_THAT(service_.calls(), ElementsAre("SetMaintenance(on, platform command MAINTENANCE)"));
  const json results = sim_.store().ListCommandResults();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0]["result"], results[1]["result"]);
  EXPECT_EQ(sim_.store().ListCommands()[1]["state"], "delivered");
}

TEST_F(HeartbeatEdgeV1Test, A403IsNotAuthorisedNotOffline) {
  ASSERT_TRUE(sim_.store().SetMachineStatus(1, "blocked").ok());
  const HeartbeatRound round = heartbeat_->RunOnce();
  EXPECT_TRUE(round.not_authorised);
  EXPECT_FALSE(round.status.ok());
  EXPECT_THAT(round.status.message(), HasSubstr("HTTP 403"));
  EXPECT_GE(round.next, milliseconds(kInterval / 2));
  HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.state, "not_authorised");
  EXPECT_EQ(s.not_authorised, 1);
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.last_success_ms, 0);

  ASSERT_TRUE(sim_.store().SetMachineStatus(1, "online").ok());
  EXPECT_TRUE(heartbeat_->RunOnce().status.ok());
  s = heartbeat_->Stats();
  EXPECT_EQ(s.state, "online");
  EXPECT_EQ(s.consecutive_failures, 0);
}

TEST_F(HeartbeatEdgeV1Test, FailuresBackOffExponentiallyUpToTheCeiling) {
  sim_.Stop();
  std::vector<int64_t> waits;
  for (int i = 0; i < 7; ++i) {
    const HeartbeatRound r = heartbeat_->RunOnce();
    EXPECT_FALSE(r.status.ok());
    EXPECT_THAT(r.status.message(), HasSubstr("no response"));
    waits.push_back(r.next.count());
  }
  // Caps: 30 s, 60 s, 120 s, then the 240 s ceiling; each delay is drawn
  // from [15 s, cap].
  const int64_t caps[] = {30'000, 60'000, 120'000, 240'000, 240'000, 240'000, 240'000};
  for (size_t i = 0; i < waits.size(); ++i) {
    EXPECT_GE(waits[i], 15'000) << i;
    EXPECT_LE(waits[i], caps[i]) << i;
  }
  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.failed, 7);
  EXPECT_EQ(s.consecutive_failures, 7);
  EXPECT_EQ(s.state, "failing");
  EXPECT_THAT(s.last_error, HasSubstr("edge v1 heartbeat"));
}

TEST_F(HeartbeatEdgeV1Test, FailingAndRecoveringAreLoggedOnceEachWithTheError) {
  std::vector<std::string> lines;
  HeartbeatOptions o = Options();
  o.state_log_sink = [&](LogLevel, std::string_view component, std::string_view message,
                         const std::vector<LogField>& fields) {
    std::string line = std::string(component) + ": " + std::string(message);
    for (const LogField& f : fields) line += " " + f.key + "=" + f.value;
    lines.push_back(line);
  };
  heartbeat_ = std::make_unique<HeartbeatService>(*client_, service_, clock_, o);
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  EXPECT_TRUE(lines.empty()) << "the first acknowledgement is not news";
  sim::FaultSettings down;
  down.error.rate = 1;
  down.error_status = 503;
  sim_.SetFaults(down);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(heartbeat_->RunOnce().status.ok());
  sim_.SetFaults({});
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  ASSERT_TRUE(heartbeat_->RunOnce().status.ok());
  ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
  EXPECT_THAT(lines[0], HasSubstr("heartbeat: heartbeat failing"));
  EXPECT_THAT(lines[0], HasSubstr("error="));
  EXPECT_THAT(lines[0], HasSubstr("503"));
  EXPECT_EQ(lines[1], "heartbeat: heartbeat recovered");
}

class HeartbeatV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto port = sim_.Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    auto c = uplink::V2Client::Create(uplink::testing::SimOptions(sim_.base_url()), clock_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    client_ = std::move(c).value();
    heartbeat_ = std::make_unique<HeartbeatService>(*client_, service_, clock_, Options());
  }

  sim::PlatformSim sim_{sim::PlatformSim::Options{}};
  FakeClock clock_;
  FakeServiceControl service_;
  std::unique_ptr<uplink::PlatformClient> client_;
  std::unique_ptr<HeartbeatService> heartbeat_;
};

TEST_F(HeartbeatV2Test, AHeartbeatIsAMetricsReport) {
  const HeartbeatRound round = heartbeat_->RunOnce();
  ASSERT_TRUE(round.status.ok()) << round.status.ToString();
  const json rows = sim_.store().ListRecords(sim::RecordKind::kMetrics);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["machine_id"], 1);
  const json& p = rows[0]["payload"];
  EXPECT_EQ(p["application_metrics"]["software_version"], "0.1.0-test");
  EXPECT_EQ(p["application_metrics"]["uptime_seconds"], 42.0);
  EXPECT_EQ(p["application_metrics"]["deposit_count_since_restart"], 12);
  EXPECT_TRUE(p["system_metrics"]["memory_usage"].is_number());
  EXPECT_EQ(heartbeat_->Stats().sent, 1);
}

TEST_F(HeartbeatV2Test, V2HasNoCommandChannelSoNothingRuns) {
  // A command queued for the machine is never delivered through v2 metrics.
  ASSERT_TRUE(sim_.QueueCommand(1, "MAINTENANCE").ok());
  EXPECT_EQ(heartbeat_->RunOnce().commands, 0);
  EXPECT_TRUE(service_.calls().empty());
  EXPECT_EQ(sim_.store().ListCommands()[0]["state"], "queued");
  EXPECT_EQ(heartbeat_->Stats().commands.received, 0);
}

TEST_F(HeartbeatV2Test, AFailingMetricsEndpointIsCountedAndBackedOff) {
  sim::FaultSettings f;
  f.error.next = 2;
  sim_.SetFaults(f);
  EXPECT_FALSE(heartbeat_->RunOnce().status.ok());
  EXPECT_FALSE(heartbeat_->RunOnce().status.ok());
  EXPECT_TRUE(heartbeat_->RunOnce().status.ok());
  const HeartbeatStats s = heartbeat_->Stats();
  EXPECT_EQ(s.failed, 2);
  EXPECT_EQ(s.sent, 1);
  EXPECT_EQ(s.consecutive_failures, 0);
}

}  // namespace
}  // namespace rvm::remote
