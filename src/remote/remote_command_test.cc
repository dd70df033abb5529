#include "remote/remote_command.h"

#include <gtest/gtest.h>

namespace rvm::remote {
namespace {

using nlohmann::json;

TEST(ParseCommandTest, AnEdgeV1ElementParses) {
  auto c = ParseCommand(json{{"action", "MAINTENANCE"},
                             {"timestamp", "2026-02-07T10:00:00+00:00"},
                             {"payload", {{"reason", "cleaning"}}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->action, "MAINTENANCE");
  EXPECT_EQ(c->timestamp, "2026-02-07T10:00:00+00:00");
  EXPECT_EQ(c->payload["reason"], "cleaning");
}

TEST(ParseCommandTest, AMissingOrNullPayloadIsAnEmptyObject) {
  EXPECT_EQ(ParseCommand(json{{"action", "RESTART"}})->payload, json::object());
  EXPECT_EQ(ParseCommand(json{{"action", "RESTART"}, {"payload", nullptr}})->payload,
            json::object());
}

TEST(ParseCommandTest, MalformedElementsAreRejectedNamingTheField) {
  EXPECT_NE(ParseCommand(json("RESTART")).status().message().find("must be a JSON object"),
            std::string::npos);
  EXPECT_NE(ParseCommand(json::object()).status().message().find("'action' is missing"),
            std::string::npos);
  EXPECT_NE(ParseCommand(json{{"action", 7}}).status().message().find("'action' must be"),
            std::string::npos);
  EXPECT_NE(ParseCommand(json{{"action", ""}}).status().message().find("'action' must be"),
            std::string::npos);
  EXPECT_NE(ParseCommand(json{{"action", "RESTART"}, {"timestamp", 5}})
                .status()
                .message()
                .find("'timestamp' must be a string"),
            std::string::npos);
  EXPECT_NE(ParseCommand(json{{"action", "RESTART"}, {"payload", json::array()}})
                .status()
                .message()
                .find("'payload' must be an object"),
            std::string::npos);
}

CommandClass ClassOf(const std::string& action, json payload = json::object()) {
  return ClassifyCommand(RemoteCommand{action, "", std::move(payload)}).kind;
}

TEST(ClassifyCommandTest, TheSafeActionsAreSafe) {
  for (const char* a : {"MAINTENANCE", "EXIT_MAINTENANCE", "RESTART", "CAPTURE_IMAGE",
                        "SET_CONF_THRESHOLD", "REPORT_LOGS", "REPORT_SYSTEM_INFO"}) {
    EXPECT_EQ(ClassOf(a), CommandClass::kSafe) << a;
  }
}

TEST(ClassifyCommandTest, ActionsThatChangeTheMachineAreDangerous) {
  for (const char* a : {"REBOOT", "GIT_PULL", "UPDATE_SERVICE", "SHELL_COMMAND", "DOWNLOAD_MODEL",
                        "RUN_INFERENCE", "TRIGGER_ACTUATOR", "CAMERA_PERMISSION"}) {
    const auto c = ClassifyCommand(RemoteCommand{a, "", json::object()});
    EXPECT_EQ(c.kind, CommandClass::kDangerous) << a;
    EXPECT_NE(c.reason.find("never run"), std::string::npos) << c.reason;
  }
}

TEST(ClassifyCommandTest, APayloadNamingAPathUrlOrCommandMakesAnyActionDangerous) {
  EXPECT_EQ(ClassOf("CAPTURE_IMAGE", {{"image_path", "/etc/passwd"}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("RESTART", {{"command", "rm -rf /"}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"upload_url", "http://x"}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"Path", "x"}}), CommandClass::kDangerous);
  const auto c = ClassifyCommand(RemoteCommand{"RESTART", "", {{"script", "x"}}});
  EXPECT_NE(c.reason.find("'script'"), std::string::npos) << c.reason;
  // Words that merely contain a target word are fine.
  EXPECT_EQ(ClassOf("MAINTENANCE", {{"reason", "filed by ops"}}), CommandClass::kSafe);
}

TEST(ClassifyCommandTest, UnknownActionsAreNeverGuessedAt) {
  EXPECT_EQ(ClassOf("READ_SENSOR"), CommandClass::kUnknown);
  EXPECT_EQ(ClassOf("restart"), CommandClass::kUnknown);
  EXPECT_EQ(ClassOf("RESTART "), CommandClass::kUnknown);
  const auto c = ClassifyCommand(RemoteCommand{"SELF_DESTRUCT", "", json::object()});
  EXPECT_EQ(c.reason, "unknown action 'SELF_DESTRUCT'");
}

}  // namespace
}  // namespace rvm::remote
