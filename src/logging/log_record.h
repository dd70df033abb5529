// LogLevel, LogField and LogRecord: what one structured log line carries
// before it is formatted, and how it travels through spdlog.
//
// spdlog moves a single text payload from the caller to its sinks, so a
// structured record (component, message, key/value fields) is packed into that
// payload with NUL separators (EncodePayload) and unpacked by the formatter
// (DecodePayload). A payload that does not start with NUL is a plain spdlog
// message and decodes to a record with no fields, so direct spdlog calls are
// formatted and redacted the same way. Pure; thread-safe.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rvm {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kOff };

// "trace" | "debug" | "info" | "warn" | "error" | "off"; anything else is an
// InvalidArgument naming `key` and the value.
Result<LogLevel> ParseLogLevel(std::string_view name, std::string_view key = "logging.level");
const char* LogLevelName(LogLevel level);  // "info", ...

enum class LogFormat { kText, kJson };

// "text" | "json"; anything else is an InvalidArgument naming `key` and the value.
Result<LogFormat> ParseLogFormat(std::string_view name, std::string_view key = "logging.format");

// One key/value pair of a log line. Numbers and booleans stay typed in JSON.
struct LogField {
  enum class Kind : char { kString = 's', kNumber = 'n', kBool = 'b' };

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), kind(Kind::kBool) {}
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) LogField(std::string_view k, T v)
      : key(k), value(std::to_string(v)), kind(Kind::kNumber) {}
  LogField(std::string_view k, double v);

  std::string key;
  std::string value;
  Kind kind = Kind::kString;

  bool operator==(const LogField&) const = default;
};

struct LogRecord {
  std::string component;  // the module that logs ("uplink"); the logger name for plain messages
  std::string message;
  std::vector<LogField> fields;

  bool operator==(const LogRecord&) const = default;
};

// Packs a record into one spdlog payload. NUL bytes inside the parts, which
// would break the framing, become U+FFFD.
std::string EncodePayload(std::string_view component, std::string_view message,
                          const LogField* fields, size_t field_count);

// Unpacks EncodePayload's output; a plain payload becomes {default_component,
// payload, {}}.
LogRecord DecodePayload(std::string_view payload, std::string_view default_component);

}  // namespace rvm
