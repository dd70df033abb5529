#include "remote/command_executor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/sha256.h"
#include "remote/fake_service_control.h"

namespace rvm::remote {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::FakeServiceControl;
using ::testing::HasSubstr;

json Cmd(const std::string& action, json payload = nullptr,
         const std::string& timestamp = "2026-02-07T10:00:00+00:00") {
  json c = {{"action", action}, {"timestamp", timestamp}};
  if (!payload.is_null()) c["payload"] = std::move(payload);
  return c;
}

class CommandExecutorTest : public ::testing::Test {
 protected:
  FakeServiceControl service_;
  FakeClock clock_{1'770'000'000'000};
  CommandExecutor executor_{service_, clock_};
};

TEST_F(CommandExecutorTest, MaintenanceEntersMaintenanceAndSaysSo) {
  const json r = executor_.Execute(Cmd("MAINTENANCE"));
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["action"], "MAINTENANCE");
  EXPECT_EQ(r["timestamp"], "2026-02-07T10:00:00+00:00");
  EXPECT_EQ(r["finished_at"], "2026-02-02T02:40:00.000Z");
  EXPECT_EQ(r["data"]["maintenance"], true);
  EXPECT_EQ(r["data"]["accepting"], false);
  EXPECT_THAT(service_.calls(), ElementsAre("SetMaintenance(on, platform command MAINTENANCE)"));
}

TEST_F(CommandExecutorTest, MaintenanceTwiceKeepsTheFirstReason) {
  executor_.Execute(Cmd("MAINTENANCE", {{"reason", "bin full"}}, "t1"));
  const json r = executor_.Execute(Cmd("MAINTENANCE", {{"reason", "other"}}, "t2"));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("already in maintenance"));
  EXPECT_EQ(service_.Status().maintenance_reason, "platform command MAINTENANCE: bin full");
  EXPECT_EQ(executor_.counts().executed, 2);
}

TEST_F(CommandExecutorTest, ExitMaintenanceLeavesItAndIsIdempotent) {
  executor_.Execute(Cmd("MAINTENANCE", nullptr, "t1"));
  EXPECT_EQ(executor_.Execute(Cmd("EXIT_MAINTENANCE", nullptr, "t2"))["message"],
            "left maintenance");
  EXPECT_FALSE(service_.Status().maintenance);
  EXPECT_EQ(executor_.Execute(Cmd("EXIT_MAINTENANCE", nullptr, "t3"))["message"],
            "already out of maintenance");
  EXPECT_EQ(service_.calls().size(), 2u);
}

TEST_F(CommandExecutorTest, SetConfThresholdChangesTheThreshold) {
  const json r = executor_.Execute(Cmd("SET_CONF_THRESHOLD", {{"threshold", 0.65}}));
  EXPECT_EQ(r["status"], "completed") << r.dump();
  EXPECT_EQ(r["data"]["previous"], 0.5);
  EXPECT_DOUBLE_EQ(service_.Status().conf_threshold, 0.65);
  // The same value again is already in force: nothing is set.
  executor_.Execute(Cmd("SET_CONF_THRESHOLD", {{"threshold", 0.65}}, "t2"));
  EXPECT_EQ(service_.calls().size(), 1u);
}

TEST_F(CommandExecutorTest, ABadThresholdIsRejectedAndNothingChanges) {
  for (const json& payload : {json::object(), json{{"threshold", "high"}}, json{{"threshold", 1.5}},
                              json{{"threshold", -0.1}}}) {
    const json r = executor_.Execute(Cmd("SET_CONF_THRESHOLD", payload, payload.dump()));
    EXPECT_EQ(r["status"], "rejected") << r.dump();
    EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("'threshold'"));
  }
  EXPECT_TRUE(service_.calls().empty());
  EXPECT_EQ(executor_.counts().rejected, 4);
  EXPECT_EQ(executor_.counts().executed, 0);
}

TEST_F(CommandExecutorTest, RestartRestartsThePipelineNotTheMachine) {
  const json r = executor_.Execute(Cmd("RESTART"));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["pipeline_restarts"], 1);
  EXPECT_THAT(service_.calls(), ElementsAre("RestartPipeline"));
}

TEST_F(CommandExecutorTest, ARepeatedRestartRunsOnce) {
  executor_.Execute(Cmd("RESTART"));
  const json r = executor_.Execute(Cmd("RESTART"));
  EXPECT_EQ(r["status"], "duplicate");
  EXPECT_EQ(service_.Status().pipeline_restarts, 1);
  EXPECT_EQ(executor_.counts().duplicates, 1);
  // Queued at another moment, it is another command.
  executor_.Execute(Cmd("RESTART", nullptr, "2026-02-07T10:05:00+00:00"));
  EXPECT_EQ(service_.Status().pipeline_restarts, 2);
}

TEST_F(CommandExecutorTest, AFailedRestartIsReportedAsFailed) {
  service_.set_restart_error(Unavailable("frame source 'cam0': device is gone"));
  const json r = executor_.Execute(Cmd("RESTART"));
  EXPECT_EQ(r["status"], "failed");
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("device is gone"));
  EXPECT_EQ(executor_.counts().failed, 1);
  EXPECT_EQ(executor_.counts().executed, 1);
}

TEST_F(CommandExecutorTest, CaptureImageReportsTheSnapshotWithoutAnUploader) {
  service_.set_snapshot("\xFF\xD8jpeg-bytes");
  const json r = executor_.Execute(Cmd("CAPTURE_IMAGE"));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["bytes"], 12);
  EXPECT_EQ(r["data"]["sha256"], Sha256Hex(std::string("\xFF\xD8jpeg-bytes")));
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("no upload endpoint"));
}

TEST_F(CommandExecutorTest, CaptureImageBeforeAnyFrameFails) {
  const json r = executor_.Execute(Cmd("CAPTURE_IMAGE"));
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["message"], "no frame has been detected yet");
}

class RecordingUploader final : public SnapshotUploader {
 public:
  Result<json> Upload(const std::string& jpeg) override {
    uploads.push_back(jpeg);
    if (!fail.ok()) return fail;
    return json{{"file_path", "dataset/1/x.jpg"}};
  }
  std::vector<std::string> uploads;
  Status fail;
};

TEST(CommandExecutorUploadTest, CaptureImageUploadsThroughTheUploader) {
  FakeServiceControl service;
  FakeClock clock;
  RecordingUploader uploader;
  CommandExecutor executor(service, clock, {}, &uploader);
  service.set_snapshot("jpeg");
  json r = executor.Execute(Cmd("CAPTURE_IMAGE"));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["uploaded"]["file_path"], "dataset/1/x.jpg");
  EXPECT_THAT(uploader.uploads, ElementsAre("jpeg"));

  uploader.fail = Unavailable("HTTP 503");
  r = executor.Execute(Cmd("CAPTURE_IMAGE", nullptr, "t2"));
  EXPECT_EQ(r["status"], "failed");
  EXPECT_EQ(r["data"]["upload_error"], "HTTP 503");
}

TEST_F(CommandExecutorTest, ReportLogsReturnsTheNewestLines) {
  service_.set_logs({"one", "two", "three"});
  const json r = executor_.Execute(Cmd("REPORT_LOGS", {{"lines", 2}}));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["lines"], (json{"two", "three"}));
  EXPECT_THAT(service_.calls(), ElementsAre("RecentLogs(2)"));
}

TEST_F(CommandExecutorTest, ReportLogsStaysWithinItsByteBudget) {
  FakeClock clock;
  CommandExecutorOptions options;
  options.max_log_bytes = 10;
  CommandExecutor executor(service_, clock, options);
  service_.set_logs({"aaaaaa", "bbbbbb", "cccc"});
  const json r = executor.Execute(Cmd("REPORT_LOGS"));
  EXPECT_EQ(r["data"]["lines"], (json{"bbbbbb", "cccc"}));
  EXPECT_EQ(r["data"]["truncated_lines"], 1);
}

TEST_F(CommandExecutorTest, ReportLogsRejectsABadLineCount) {
  for (const json& lines : {json(0), json(201), json("ten"), json(2.5)}) {
    const json r = executor_.Execute(Cmd("REPORT_LOGS", {{"lines", lines}}, lines.dump()));
    EXPECT_EQ(r["status"], "rejected") << r.dump();
  }
  EXPECT_TRUE(service_.calls().empty());
}

TEST_F(CommandExecutorTest, ReportSystemInfoDescribesTheService) {
  const json r = executor_.Execute(Cmd("REPORT_SYSTEM_INFO"));
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["data"]["version"], "0.1.0-test");
  EXPECT_EQ(r["data"]["items_decided"], 12);
  EXPECT_EQ(r["data"]["backlog_records"], 3);
  EXPECT_EQ(r["data"]["conf_threshold"], 0.5);
  EXPECT_GT(r["data"]["process_rss_bytes"].get<int64_t>(), 0);
}

TEST_F(CommandExecutorTest, DangerousCommandsAreRefusedAndNeverRun) {
  for (const char* a : {"REBOOT", "GIT_PULL", "UPDATE_SERVICE", "SHELL_COMMAND"}) {
    const json r = executor_.Execute(Cmd(a, {{"command", "reboot"}}));
    EXPECT_EQ(r["status"], "refused") << a;
    EXPECT_EQ(r["action"], a);
  }
  const json r = executor_.Execute(Cmd("RESTART", {{"image_path", "/srv/x.jpg"}}));
  EXPECT_EQ(r["status"], "refused");
  EXPECT_TRUE(service_.calls().empty());
  EXPECT_EQ(executor_.counts().refused, 5);
}

TEST_F(CommandExecutorTest, UnknownAndMalformedCommandsAreRejectedAndReported) {
  json r = executor_.Execute(Cmd("READ_SENSOR"));
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_EQ(r["message"], "unknown action 'READ_SENSOR'");

  r = executor_.Execute(json{{"timestamp", "t"}, {"payload", {{"x", 1}}}});
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_TRUE(r["action"].is_null());
  EXPECT_EQ(r["timestamp"], "t");
  EXPECT_THAT(r["message"].get<std::string>(), HasSubstr("'action' is missing"));
  EXPECT_THAT(r["command"].get<std::string>(), HasSubstr("\"x\":1"));

  r = executor_.Execute(json{{"action", "MAINTENANCE"}, {"payload", "now"}});
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_EQ(r["action"], "MAINTENANCE");

  r = executor_.Execute(json(42));
  EXPECT_EQ(r["status"], "rejected");
  EXPECT_TRUE(service_.calls().empty());
  EXPECT_EQ(executor_.counts().received, 4);
  EXPECT_EQ(executor_.counts().rejected, 4);
}

}  // namespace
}  // namespace rvm::remote
