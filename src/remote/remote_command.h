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
//               git pull, update, shell, model download, actuator), or a
//               safe action whose payload carries a field outside that
//               action's schema: refused, never run
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
// "restart" is not RESTART). Each safe action has a schema: the payload
// fields it takes, by exact name, with their JSON types, nested objects
// described field by field. A payload field that is not in the schema, at
// any depth, under any spelling ("Lines", "logFile", "upload.url"), makes
// the command dangerous, and the reason names the field by its dotted path;
// a field of the wrong type is refused the same way. So nothing the platform
// sends is silently ignored, and nothing it names is acted on. (Value
// ranges, a threshold of 1.5, are the handler's: rejected, not refused.)
Classification ClassifyCommand(const RemoteCommand& command);

// The payload fields `action` takes, as "name (type)" joined by ", ";
// "none" for an action without fields; "" for an action that is not safe.
std::string PayloadSchemaText(const std::string& action);

}  // namespace rvm::remote
