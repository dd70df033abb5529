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

std::string ReasonOf(const std::string& action, json payload) {
  return ClassifyCommand(RemoteCommand{action, "", std::move(payload)}).reason;
}

TEST(ClassifyCommandTest, TheFieldsOfEachActionsSchemaAreSafe) {
  EXPECT_EQ(ClassOf("MAINTENANCE", {{"reason", "filed by ops"}}), CommandClass::kSafe);
  EXPECT_EQ(ClassOf("EXIT_MAINTENANCE", {{"reason", "done"}}), CommandClass::kSafe);
  EXPECT_EQ(ClassOf("SET_CONF_THRESHOLD", {{"threshold", 0.4}}), CommandClass::kSafe);
  EXPECT_EQ(ClassOf("SET_CONF_THRESHOLD", {{"threshold", 1}}), CommandClass::kSafe);
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"lines", 5}}), CommandClass::kSafe);
}

TEST(ClassifyCommandTest, AFieldOutsideTheSchemaIsRefusedNamingIt) {
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"lines", 5}, {"logFile", "/etc/shadow"}}),
            CommandClass::kDangerous);
  EXPECT_EQ(ReasonOf("REPORT_LOGS", {{"lines", 5}, {"logFile", "/etc/shadow"}}),
            "REPORT_LOGS: payload field 'logFile' is not in the schema (lines (integer)); fields "
            "outside a command's schema are refused");
  EXPECT_EQ(ClassOf("CAPTURE_IMAGE", {{"image_path", "/etc/passwd"}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("RESTART", {{"command", "rm -rf /"}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("REPORT_SYSTEM_INFO", {{"verbose", true}}), CommandClass::kDangerous);
  // Not only names that look like targets: a field the handler would ignore is refused too.
  EXPECT_EQ(ClassOf("MAINTENANCE", {{"reason", "x"}, {"until", "noon"}}),
            CommandClass::kDangerous);
}

TEST(ClassifyCommandTest, FieldNamesAreMatchedExactlySoOtherSpellingsAreRefused) {
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"Lines", 5}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"LINES", 5}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("SET_CONF_THRESHOLD", {{"Threshold", 0.3}}), CommandClass::kDangerous);
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"Path", "x"}}), CommandClass::kDangerous);
  EXPECT_NE(ReasonOf("REPORT_LOGS", {{"Lines", 5}}).find("'Lines'"), std::string::npos);
}

TEST(ClassifyCommandTest, NestedFieldsAreRefusedNamingTheirPath) {
  EXPECT_EQ(ClassOf("CAPTURE_IMAGE", {{"upload", {{"url", "http://evil"}}}}),
            CommandClass::kDangerous);
  EXPECT_NE(ReasonOf("CAPTURE_IMAGE", {{"upload", {{"url", "http://evil"}}}}).find("'upload'"),
            std::string::npos);
  // An object where the schema has a scalar is refused, whatever it holds.
  const std::string why = ReasonOf("MAINTENANCE", {{"reason", {{"script", "x"}}}});
  EXPECT_NE(why.find("payload field 'reason' must be a string, not object"), std::string::npos)
      << why;
  EXPECT_EQ(ClassOf("REPORT_LOGS", {{"lines", json::array({1, 2})}}), CommandClass::kDangerous);
}

TEST(ClassifyCommandTest, EachSafeActionStatesItsSchema) {
  EXPECT_EQ(PayloadSchemaText("REPORT_LOGS"), "lines (integer)");
  EXPECT_EQ(PayloadSchemaText("MAINTENANCE"), "reason (string)");
  EXPECT_EQ(PayloadSchemaText("RESTART"), "none");
  EXPECT_EQ(PayloadSchemaText("REBOOT"), "");
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
