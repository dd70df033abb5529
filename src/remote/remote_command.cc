#include "remote/remote_command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace rvm::remote {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 7> kSafeActions = {
    kMaintenance, kExitMaintenance,  kRestart,         kCaptureImage,
    kReportLogs,  kSetConfThreshold, kReportSystemInfo};

// Known platform actions that must never run unattended, with why.
struct Refusal {
  std::string_view action;
  std::string_view why;
};
constexpr std::array<Refusal, 8> kRefused = {{
    {"REBOOT", "reboots the machine"},
    {"GIT_PULL", "replaces the agent's software"},
    {"UPDATE_SERVICE", "replaces the agent's software"},
    {"SHELL_COMMAND", "runs a command the platform supplies"},
    {"DOWNLOAD_MODEL", "replaces the detector model from a URL the platform supplies"},
    {"RUN_INFERENCE", "acts on a file path the platform supplies"},
    {"TRIGGER_ACTUATOR", "moves machine hardware"},
    {"CAMERA_PERMISSION", "changes operating-system device permissions"},
}};

// Payload field names that point the agent at something to act on.
bool NamesATarget(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
  for (std::string_view word : {"path", "url", "uri", "file", "dir", "script", "command", "cmd"}) {
    if (k == word || k.ends_with("_" + std::string(word))) return true;
  }
  return false;
}

}  // namespace

Result<RemoteCommand> ParseCommand(const json& element) {
  if (!element.is_object()) {
    return InvalidArgument("command: must be a JSON object, got " +
                           std::string(element.type_name()));
  }
  RemoteCommand c;
  auto action = element.find("action");
  if (action == element.end()) return InvalidArgument("command: 'action' is missing");
  if (!action->is_string() || action->get<std::string>().empty()) {
    return InvalidArgument("command: 'action' must be a non-empty string");
  }
  c.action = action->get<std::string>();
  if (auto ts = element.find("timestamp"); ts != element.end() && !ts->is_null()) {
    if (!ts->is_string())
      return InvalidArgument("command " + c.action + ": 'timestamp' must be a string");
    c.timestamp = ts->get<std::string>();
  }
  if (auto p = element.find("payload"); p != element.end() && !p->is_null()) {
    if (!p->is_object()) {
      return InvalidArgument("command " + c.action + ": 'payload' must be an object, got " +
                             std::string(p->type_name()));
    }
    c.payload = *p;
  }
  return c;
}

Classification ClassifyCommand(const RemoteCommand& command) {
  for (const auto& r : kRefused) {
    if (command.action == r.action) {
      return {CommandClass::kDangerous,
              std::string(r.action) + " " + std::string(r.why) + "; never run unattended"};
    }
  }
  for (const auto& [key, value] : command.payload.items()) {
    if (NamesATarget(key)) {
      return {CommandClass::kDangerous, "payload field '" + key +
                                            "' names something to act on; the agent never acts "
                                            "on paths, URLs or commands from the platform"};
    }
  }
  if (std::find(kSafeActions.begin(), kSafeActions.end(), command.action) != kSafeActions.end()) {
    return {CommandClass::kSafe, ""};
  }
  return {CommandClass::kUnknown, "unknown action '" + command.action + "'"};
}

}  // namespace rvm::remote
