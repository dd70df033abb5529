#include "logging/logging.h"

#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "logging/log_formatter.h"
#include "logging/recent_lines_sink.h"

namespace rvm {
namespace {

constexpr char kLoggerName[] = "rvm-edge";

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace:
      return spdlog::level::trace;
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
    case LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::off;
}

struct LogState {
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<const Redactor> redactor;
};

// The ring outlives every logger, so lines from before InitLogging (start-up
// errors) stay visible in the admin log view.
std::shared_ptr<RecentLinesSink>& Recent() {
  static auto* recent = new std::shared_ptr<RecentLinesSink>(
      std::make_shared<RecentLinesSink>(static_cast<size_t>(kRecentLogLinesKept)));
  return *recent;
}

std::mutex& StateMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}

// Guarded by StateMutex(). Leaked on purpose: threads may still log while
// static destructors run at exit.
LogState& State() {
  static auto* state = new LogState;
  return *state;
}

std::shared_ptr<spdlog::logger> MakeLogger(std::vector<spdlog::sink_ptr> sinks, LogLevel level,
                                           LogFormat format,
                                           std::shared_ptr<const Redactor> redactor) {
  sinks.push_back(Recent());
  auto logger = std::make_shared<spdlog::logger>(kLoggerName, sinks.begin(), sinks.end());
  logger->set_formatter(std::make_unique<LogFormatter>(format, std::move(redactor)));
  logger->set_level(ToSpdlog(level));
  // Every line reaches the file at once: the lines before a crash matter most,
  // and a service logs a few lines a second, not thousands.
  logger->flush_on(spdlog::level::trace);
  return logger;
}

void Install(LogState state) {
  spdlog::set_default_logger(state.logger);
  State() = std::move(state);
}

std::shared_ptr<spdlog::logger> CurrentLogger() {
  std::lock_guard<std::mutex> lock(StateMutex());
  LogState& state = State();
  if (state.logger == nullptr) {
    auto redactor = std::make_shared<const Redactor>();
    Install({MakeLogger({std::make_shared<spdlog::sinks::stderr_sink_mt>()}, LogLevel::kInfo,
                        LogFormat::kText, redactor),
             redactor});
  }
  return state.logger;
}

void LogImpl(LogLevel level, std::string_view component, std::string_view message,
             const LogField* fields, size_t count) {
  if (level == LogLevel::kOff) return;
  const std::shared_ptr<spdlog::logger> logger = CurrentLogger();
  const spdlog::level::level_enum spd_level = ToSpdlog(level);
  if (!logger->should_log(spd_level)) return;
  const std::string payload = EncodePayload(component, message, fields, count);
  logger->log(spd_level, spdlog::string_view_t(payload.data(), payload.size()));
}

}  // namespace

Status InitLogging(const LoggingConfig& config, std::vector<std::string> secrets) {
  Result<LogLevel> level = ParseLogLevel(config.level);
  if (!level.ok()) return level.status();
  Result<LogFormat> format = ParseLogFormat(config.format);
  if (!format.ok()) return format.status();
  if (config.max_size_bytes <= 0) {
    return InvalidArgument(
        fmt::format("logging.max_size_bytes = {}: must be positive", config.max_size_bytes));
  }
  if (config.files_kept < 0) {
    return InvalidArgument(
        fmt::format("logging.files_kept = {}: must not be negative", config.files_kept));
  }

  spdlog::sink_ptr output;
  if (config.file.empty()) {
    output = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    try {
      output = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          config.file, static_cast<size_t>(config.max_size_bytes),
          static_cast<size_t>(config.files_kept));
    } catch (const spdlog::spdlog_ex& e) {
      return IoError(fmt::format("logging.file '{}': cannot open: {}", config.file, e.what()));
    }
  }
  auto redactor = std::make_shared<const Redactor>(std::move(secrets));
  auto logger = MakeLogger({output}, *level, *format, redactor);
  std::lock_guard<std::mutex> lock(StateMutex());
  Install({std::move(logger), std::move(redactor)});
  return Status::Ok();
}

std::vector<std::string> ConfigSecrets(const Config& config) {
  std::vector<std::string> secrets;
  for (const Secret* s : {&config.uplink.api_key, &config.uplink.password, &config.uplink.token,
                          &config.admin.token}) {
    if (s->set()) secrets.push_back(s->value);
  }
  return secrets;
}

void Log(LogLevel level, std::string_view component, std::string_view message,
         std::initializer_list<LogField> fields) {
  LogImpl(level, component, message, fields.begin(), fields.size());
}

void Log(LogLevel level, std::string_view component, std::string_view message,
         const std::vector<LogField>& fields) {
  LogImpl(level, component, message, fields.data(), fields.size());
}

void SetLevel(LogLevel level) { CurrentLogger()->set_level(ToSpdlog(level)); }

LogLevel CurrentLevel() { return FromSpdlog(CurrentLogger()->level()); }

void SetFormat(LogFormat format) {
  std::shared_ptr<spdlog::logger> logger = CurrentLogger();
  std::shared_ptr<const Redactor> redactor;
  {
    std::lock_guard<std::mutex> lock(StateMutex());
    redactor = State().redactor;
  }
  logger->set_formatter(std::make_unique<LogFormatter>(format, std::move(redactor)));
}

std::vector<std::string> RecentLogLines(int max) {
  if (max <= 0) return {};
  return Recent()->Last(static_cast<size_t>(max));
}

void FlushLogs() { CurrentLogger()->flush(); }

}  // namespace rvm
