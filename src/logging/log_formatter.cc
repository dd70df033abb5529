#include "logging/log_formatter.h"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rvm {

LogLevel FromSpdlog(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return LogLevel::kTrace;
    case spdlog::level::debug:
      return LogLevel::kDebug;
    case spdlog::level::info:
      return LogLevel::kInfo;
    case spdlog::level::warn:
      return LogLevel::kWarn;
    case spdlog::level::err:
    case spdlog::level::critical:
      return LogLevel::kError;
    default:
      return LogLevel::kOff;
  }
}

namespace {

// Control characters as escapes, so one record is one line.
void AppendEscaped(std::string& out, std::string_view s, bool escape_quotes) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else if (escape_quotes && (c == '"' || c == '\\')) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

std::string TextLine(const LogRecord& record, LogLevel level, const std::string& ts,
                     const Redactor& redactor) {
  std::string level_name = LogLevelName(level);
  for (char& c : level_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string out = fmt::format("{} {:<5} ", ts, level_name);
  AppendEscaped(out, redactor.Redact(record.component), false);
  out += ": ";
  AppendEscaped(out, redactor.Redact(record.message), false);
  for (const LogField& f : record.fields) {
    out += ' ';
    AppendEscaped(out, redactor.Redact(f.key), false);
    out += '=';
    const std::string value = redactor.RedactField(f.key, f.value);
    if (f.kind == LogField::Kind::kString && NeedsQuotes(value)) {
      out += '"';
      AppendEscaped(out, value, true);
      out += '"';
    } else {
      AppendEscaped(out, value, false);
    }
  }
  return out;
}

std::string JsonLine(const LogRecord& record, LogLevel level, const std::string& ts,
                     const Redactor& redactor) {
  nlohmann::ordered_json j;
  j["ts"] = ts;
  j["level"] = LogLevelName(level);
  j["logger"] = redactor.Redact(record.component);
  j["msg"] = redactor.Redact(record.message);
  for (const LogField& f : record.fields) {
    std::string key = redactor.Redact(f.key);
    if (key == "ts" || key == "level" || key == "logger" || key == "msg") key = "field_" + key;
    const std::string value = redactor.RedactField(f.key, f.value);
    nlohmann::ordered_json v = value;
    if (value == f.value && f.kind == LogField::Kind::kBool) {
      v = value == "true";
    } else if (value == f.value && f.kind == LogField::Kind::kNumber) {
      // Parsing back keeps integers exact and doubles as written.
      v = nlohmann::ordered_json::parse(value, nullptr, /*allow_exceptions=*/false);
      if (v.is_discarded() || !v.is_number()) v = value;
    }
    j[key] = std::move(v);
  }
  // Invalid UTF-8 becomes U+FFFD instead of an exception inside the logger.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string FormatUtcMillis(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  int millis = static_cast<int>(ms.count() % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  if (millis < 0) millis += 1000;  // before 1970: gmtime_r already floored the second
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string FormatLine(const LogRecord& record, LogLevel level,
                       std::chrono::system_clock::time_point time, LogFormat format,
                       const Redactor& redactor) {
  const std::string ts = FormatUtcMillis(time);
  return format == LogFormat::kJson ? JsonLine(record, level, ts, redactor)
                                    : TextLine(record, level, ts, redactor);
}

LogFormatter::LogFormatter(LogFormat format, std::shared_ptr<const Redactor> redactor)
    : format_(format), redactor_(std::move(redactor)) {}

void LogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  const LogRecord record =
      DecodePayload(std::string_view(msg.payload.data(), msg.payload.size()),
                    std::string_view(msg.logger_name.data(), msg.logger_name.size()));
  const std::string line = FormatLine(record, FromSpdlog(msg.level), msg.time, format_, *redactor_);
  dest.append(line.data(), line.data() + line.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> LogFormatter::clone() const {
  return std::make_unique<LogFormatter>(format_, redactor_);
}

}  // namespace rvm
