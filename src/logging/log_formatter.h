// LogFormatter: turns one spdlog message into one redacted line, as text or
// JSON. It is installed on every sink of the service logger, so every line
// (structured or a plain spdlog call) passes through Redactor here.
//
// Text:  2025-03-01T12:00:00.123Z INFO  uplink: batch delivered records=50 url="https://x/y z"
// JSON:  {"ts":"2025-03-01T12:00:00.123Z","level":"info","logger":"uplink",
//         "msg":"batch delivered","records":50}          (one object per line)
// Times are UTC with milliseconds. Control characters in text lines are
// escaped, so a message can never start a second line. A field named like a
// reserved JSON key (ts, level, logger, msg) is written as "field_<key>".
//
// FormatLine is pure and thread-safe; a LogFormatter instance belongs to one
// sink (spdlog clones it per sink) and shares its immutable Redactor.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <spdlog/formatter.h>

#include "logging/log_record.h"
#include "logging/redactor.h"

namespace rvm {

// The line for `record`, without a trailing newline, redacted by `redactor`.
std::string FormatLine(const LogRecord& record, LogLevel level,
                       std::chrono::system_clock::time_point time, LogFormat format,
                       const Redactor& redactor);

// "2025-03-01T12:00:00.123Z".
std::string FormatUtcMillis(std::chrono::system_clock::time_point time);

// Our level for a spdlog level (critical counts as error).
LogLevel FromSpdlog(spdlog::level::level_enum level);

class LogFormatter final : public spdlog::formatter {
 public:
  LogFormatter(LogFormat format, std::shared_ptr<const Redactor> redactor);

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  const LogFormat format_;
  const std::shared_ptr<const Redactor> redactor_;
};

}  // namespace rvm
