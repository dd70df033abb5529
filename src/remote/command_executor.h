// CommandExecutor: runs the platform's remote commands against the service
// and produces one result per command, for the next heartbeat's
// `command_results` (the only acknowledgement the contract has).
//
// Every command gets exactly one result, whatever happens:
//
//   completed  the handler ran and did what was asked (or found it already done)
//   failed     the handler ran and the service refused or could not do it
//   refused    a dangerous command (ClassifyCommand): never run
//   rejected   an unknown action or a malformed element: never guessed at
//   duplicate  the same action, timestamp and payload as a command already
//              handled: not run again
//
// Handlers are idempotent: entering maintenance twice leaves the machine in
// maintenance (the second reports "already in maintenance" and keeps the first
// reason), a threshold already in force is not set again, snapshots, logs and
// system info only read. RESTART is the one handler that is not idempotent by
// nature, so repeats are recognised by (action, timestamp, payload) among the
// last `remembered_commands` commands; two RESTARTs the platform queued at
// different moments both run.
//
// Not thread-safe: the heartbeat thread owns it. It calls ServiceControl,
// which is safe from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "ops/service_control.h"
#include "remote/host_metrics.h"

namespace rvm::remote {

// Where a CAPTURE_IMAGE snapshot goes. Absent: the result reports the
// snapshot's size and SHA-256 only.
class SnapshotUploader {
 public:
  virtual ~SnapshotUploader() = default;
  // Uploads one JPEG; returns what the platform said it stored (reported in
  // the command's result). Unavailable when the platform did not take it.
  virtual Result<nlohmann::json> Upload(const std::string& jpeg) = 0;
};

struct CommandExecutorOptions {
  int default_log_lines = 50;       // REPORT_LOGS without `lines`
  int max_log_lines = 200;          // REPORT_LOGS `lines` must be in [1, max_log_lines]
  size_t max_log_bytes = 16'384;    // log text in one result; the oldest lines go first
  size_t remembered_commands = 64;  // recent commands kept to recognise a repeat
};

struct CommandCounts {
  int64_t received = 0;    // elements handed to Execute
  int64_t executed = 0;    // handlers run (completed + failed)
  int64_t failed = 0;      // handlers that ran and failed
  int64_t refused = 0;     // dangerous commands refused
  int64_t rejected = 0;    // unknown or malformed commands
  int64_t duplicates = 0;  // repeats not run again
};

class CommandExecutor {
 public:
  // `uploader` may be null; it must outlive the executor.
  CommandExecutor(ops::ServiceControl& service, const Clock& clock,
                  CommandExecutorOptions options = {}, SnapshotUploader* uploader = nullptr);

  // Handles one element of a heartbeat reply's `commands` and returns its
  // result: {action, timestamp, status, message, finished_at, data?}. For an
  // element too malformed to name its action, `action` is null and `command`
  // holds the element (clipped).
  nlohmann::json Execute(const nlohmann::json& element);

  const CommandCounts& counts() const { return counts_; }

 private:
  struct Outcome {
    std::string status;  // "completed" | "failed"
    std::string message;
    nlohmann::json data;  // null when there is nothing to report
  };
  Outcome Run(const std::string& action, const nlohmann::json& payload);
  Outcome Maintenance(bool on, const nlohmann::json& payload);
  Outcome SetConfThreshold(const nlohmann::json& payload);
  Outcome CaptureImage();
  Outcome ReportLogs(const nlohmann::json& payload);

  ops::ServiceControl& service_;
  const Clock& clock_;
  const CommandExecutorOptions options_;
  SnapshotUploader* uploader_;
  HostSampler host_;
  std::deque<std::string> recent_;  // keys of recently handled commands, oldest first
  CommandCounts counts_;
};

}  // namespace rvm::remote
