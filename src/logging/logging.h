// The service log: structured lines on spdlog, redacted, to standard error or
// a size-rotated file, plus an in-memory ring of the last lines for the admin
// API's log view and the platform's "report logs" command.
//
//   InitLogging(config.logging, ConfigSecrets(config));
//   const Logger log("uplink");
//   log.Info("batch delivered", {{"records", 50}, {"status", 200}});
//
// Every line goes through LogFormatter, which masks the secrets given to
// InitLogging and common credential patterns (redactor.h); this also holds for
// plain spdlog calls, because the service logger is spdlog's default logger.
// Before InitLogging, lines go to standard error as text at level info with
// pattern redaction only.
//
// Thread-safety: every function here may be called from any thread at any
// time; InitLogging may replace the logger while other threads log (they keep
// writing to the old one until their current line is done). Lines from
// different threads never interleave within a line.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "logging/log_record.h"

namespace rvm {

// Lines kept in memory for RecentLogLines.
inline constexpr int kRecentLogLinesKept = 1000;

// Replaces the service logger. Checks level and format, opens the file (and
// its directory) when one is configured; on error the previous logger stays.
// Every non-empty value in `secrets` is masked in every later line.
Status InitLogging(const LoggingConfig& config, std::vector<std::string> secrets);

// The secret values of `config` (uplink api_key/password/token, admin token),
// for InitLogging.
std::vector<std::string> ConfigSecrets(const Config& config);

// Writes one line if `level` is enabled.
void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields = {});
void Log(LogLevel level, std::string_view component, std::string_view message,
         const std::vector<LogField>& fields);

// Changes the level at run time (SIGHUP reload). kOff silences the log.
void SetLevel(LogLevel level);
LogLevel CurrentLevel();
// Changes the line format at run time; later lines only.
void SetFormat(LogFormat format);

// The last `max` lines written (oldest first, no trailing newline), at most
// kRecentLogLinesKept; exactly as written to the log, so already redacted.
std::vector<std::string> RecentLogLines(int max);

// Writes buffered lines to the file. Lines are flushed as they are written;
// this is for shutdown.
void FlushLogs();

// A component's handle on the log: a name and nothing else, cheap to copy.
class Logger {
 public:
  explicit Logger(std::string component) : component_(std::move(component)) {}

  void Trace(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogLevel::kTrace, component_, m, f);
  }
  void Debug(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogLevel::kDebug, component_, m, f);
  }
  void Info(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogLevel::kInfo, component_, m, f);
  }
  void Warn(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogLevel::kWarn, component_, m, f);
  }
  void Error(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogLevel::kError, component_, m, f);
  }
  const std::string& component() const { return component_; }

 private:
  std::string component_;
};

}  // namespace rvm
