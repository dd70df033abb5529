// RemoteCommand: one command the platform returned in a heartbeat reply, and
// how RVM Edge classifies it before anything runs (docs/remote-commands.md).
//
// The edge v1 platform delivers `{action, timestamp, payload?}` elements, at
// most once, with no id. ParseCommand checks the element's shape and
// ClassifyCommand decides, from the action and the payload alone, whether it
// may run unattended:
//
//   kSafe       a command this agent executes (maintenance, confidence
//               threshold, snapshot, logs, system info, pipeline restart)
//   kDangerous  a known platform action that changes the machine's software
//               or hardware, or runs something the platform names (reboot,
//               git pull, update, shell, model download, actuator, a payload
//               naming a path, URL or command): refused, never run
//   kUnknown    anything else: rejected, never guessed at
//
// Pure and thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "base/status.h"

namespace rvm::remote {

// The actions, spelled as the platform queues them. The first six come from
// the edge v1 server's `sendCommand` list; SET_CONF_THRESHOLD, REPORT_LOGS and
// REPORT_SYSTEM_INFO are this agent's own (the platform queues any action
// string through its playground routes and the sim's /sim/commands).
inline constexpr const char* kMaintenance = "MAINTENANCE";
inline constexpr const char* kExitMaintenance = "EXIT_MAINTENANCE";
inline constexpr const char* kRestart = "RESTART";
inline constexpr const char* kCaptureImage = "CAPTURE_IMAGE";
inline constexpr const char* kSetConfThreshold = "SET_CONF_THRESHOLD";
inline constexpr const char* kReportLogs = "REPORT_LOGS";
inline constexpr const char* kReportSystemInfo = "REPORT_SYSTEM_INFO";

struct RemoteCommand {
  std::string action;
  std::string timestamp;  // when the platform queued it, as sent; "" when absent
  nlohmann::json payload = nlohmann::json::object();  // {} when absent or null
};

// The element's shape: an object with a non-empty string `action`, an
// optional string `timestamp` and an optional object (or null) `payload`.
// InvalidArgument naming the field that is wrong.
Result<RemoteCommand> ParseCommand(const nlohmann::json& element);

enum class CommandClass { kSafe, kDangerous, kUnknown };

struct Classification {
  CommandClass kind = CommandClass::kUnknown;
  std::string reason;  // for kDangerous and kUnknown: why it does not run
};

// Action names are matched exactly (the platform spells them in upper case;
// "restart" is not RESTART). A payload field whose name says it designates a
// path, URL, file, directory, script or command makes any action dangerous:
// the agent never acts on something the platform points it at.
Classification ClassifyCommand(const RemoteCommand& command);

}  // namespace rvm::remote
