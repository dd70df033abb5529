#include "logging/log_record.h"

#include <cmath>

#include <fmt/format.h>

namespace rvm {
namespace {

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

void AppendWithoutNul(std::string& out, std::string_view part) {
  for (char c : part) {
    if (c == '\0') {
      out += kReplacementChar;
    } else {
      out += c;
    }
  }
}

}  // namespace

Result<LogLevel> ParseLogLevel(std::string_view name, std::string_view key) {
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                         LogLevel::kError, LogLevel::kOff}) {
    if (name == LogLevelName(level)) return level;
  }
  return InvalidArgument(
      fmt::format("{} = '{}': not one of trace, debug, info, warn, error, off", key, name));
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      return "off";
  }
  return "off";
}

Result<LogFormat> ParseLogFormat(std::string_view name, std::string_view key) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return InvalidArgument(fmt::format("{} = '{}': not one of text, json", key, name));
}

LogField::LogField(std::string_view k, double v) : key(k) {
  if (std::isfinite(v)) {
    value = fmt::format("{}", v);
    kind = Kind::kNumber;
  } else {
    value = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");  // JSON has no such numbers
  }
}

std::string EncodePayload(std::string_view component, std::string_view message,
                          const LogField* fields, size_t field_count) {
  std::string out;
  out.reserve(2 + component.size() + message.size() + field_count * 24);
  out += '\0';
  AppendWithoutNul(out, component);
  out += '\0';
  AppendWithoutNul(out, message);
  for (size_t i = 0; i < field_count; ++i) {
    out += '\0';
    out += static_cast<char>(fields[i].kind);
    AppendWithoutNul(out, fields[i].key);
    out += '\0';
    AppendWithoutNul(out, fields[i].value);
  }
  return out;
}

LogRecord DecodePayload(std::string_view payload, std::string_view default_component) {
  if (payload.empty() || payload.front() != '\0') {
    return LogRecord{std::string(default_component), std::string(payload), {}};
  }
  std::vector<std::string_view> parts;
  size_t start = 1;
  while (true) {
    const size_t end = payload.find('\0', start);
    parts.push_back(payload.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  LogRecord record;
  record.component = std::string(parts[0]);
  if (parts.size() > 1) record.message = std::string(parts[1]);
  for (size_t i = 2; i + 1 < parts.size(); i += 2) {
    std::string_view key = parts[i];
    LogField::Kind kind = LogField::Kind::kString;
    if (!key.empty() && (key[0] == 'n' || key[0] == 'b')) {
      kind = static_cast<LogField::Kind>(key[0]);
    }
    if (!key.empty()) key.remove_prefix(1);
    LogField field(key, parts[i + 1]);
    field.kind = kind;
    record.fields.push_back(std::move(field));
  }
  return record;
}

}  // namespace rvm
