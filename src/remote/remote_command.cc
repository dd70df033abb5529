#include "remote/remote_command.h"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>

namespace rvm::remote {
namespace {

using nlohmann::json;

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

// One field of a payload schema. A kObject field lists its own fields; its
// value is checked against them as the payload is against the top level.
struct Field {
  enum class Type { kString, kNumber, kInteger, kObject };
  std::string_view name;
  Type type;
  std::span<const Field> fields = {};
};

constexpr Field kReasonField[] = {{"reason", Field::Type::kString}};
constexpr Field kThresholdField[] = {{"threshold", Field::Type::kNumber}};
constexpr Field kLinesField[] = {{"lines", Field::Type::kInteger}};

struct Schema {
  std::string_view action;
  std::span<const Field> fields;
};
constexpr std::array<Schema, 7> kSchemas = {{
    {kMaintenance, kReasonField},
    {kExitMaintenance, kReasonField},
    {kRestart, {}},
    {kCaptureImage, {}},
    {kSetConfThreshold, kThresholdField},
    {kReportLogs, kLinesField},
    {kReportSystemInfo, {}},
}};

const char* TypeName(Field::Type t) {
  switch (t) {
    case Field::Type::kString:
      return "string";
    case Field::Type::kNumber:
      return "number";
    case Field::Type::kInteger:
      return "integer";
    case Field::Type::kObject:
      return "object";
  }
  return "?";
}

bool HasType(const json& v, Field::Type t) {
  switch (t) {
    case Field::Type::kString:
      return v.is_string();
    case Field::Type::kNumber:
      return v.is_number();
    case Field::Type::kInteger:
      return v.is_number_integer();
    case Field::Type::kObject:
      return v.is_object();
  }
  return false;
}

std::string FieldsText(std::span<const Field> fields) {
  std::string out;
  for (const Field& f : fields) {
    out += (out.empty() ? "" : ", ") + std::string(f.name) + " (" + TypeName(f.type) + ")";
  }
  return out.empty() ? "none" : out;
}

// The first field of `object` (under `prefix`) the schema does not allow,
// with why; "" when every field is allowed. Exact, case-sensitive names.
std::string Disallowed(const json& object, std::span<const Field> fields,
                       const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    const std::string path = prefix + key;
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (f.name == key) field = &f;
    }
    if (field == nullptr) {
      return "payload field '" + path + "' is not in the schema (" + FieldsText(fields) + ")";
    }
    // A container where the schema has a scalar carries fields nobody
    // checked: refused. A wrong scalar (a threshold sent as "high") is left
    // to the handler, which rejects it naming the field.
    const bool container = value.is_object() || value.is_array();
    if (container != (field->type == Field::Type::kObject) ||
        (container && !HasType(value, field->type))) {
      std::string why = "payload field '" + path + "' must be a " + TypeName(field->type) +
                        ", not " + value.type_name();
      if (value.is_object() && !value.empty()) {
        why += " (it holds '" + path + "." + value.begin().key() + "')";
      }
      return why;
    }
    if (field->type == Field::Type::kObject) {
      if (std::string why = Disallowed(value, field->fields, path + "."); !why.empty()) {
        return why;
      }
    }
  }
  return "";
}

const Schema* SchemaOf(std::string_view action) {
  for (const Schema& s : kSchemas) {
    if (s.action == action) return &s;
  }
  return nullptr;
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
  const Schema* schema = SchemaOf(command.action);
  if (schema == nullptr) {
    return {CommandClass::kUnknown, "unknown action '" + command.action + "'"};
  }
  if (std::string why = Disallowed(command.payload, schema->fields, ""); !why.empty()) {
    return {CommandClass::kDangerous,
            command.action + ": " + why + "; fields outside a command's schema are refused"};
  }
  return {CommandClass::kSafe, ""};
}

std::string PayloadSchemaText(const std::string& action) {
  const Schema* schema = SchemaOf(action);
  return schema == nullptr ? "" : FieldsText(schema->fields);
}

}  // namespace rvm::remote
