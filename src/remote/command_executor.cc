#include "remote/command_executor.h"

#include <algorithm>

#include "base/sha256.h"
#include "base/iso_time.h"
#include "config/runtime_settings.h"
#include "remote/remote_command.h"
#include "remote/status_report.h"

namespace rvm::remote {
namespace {

using nlohmann::json;

constexpr size_t kMaxEchoedElement = 200;

std::string Clip(std::string s, size_t max) {
  if (s.size() > max) {
    s.resize(max);
    s += "...";
  }
  return s;
}

// A payload value the handler needs, with a message naming it when it is wrong.
std::string PayloadError(const std::string& action, const std::string& field,
                         const std::string& what) {
  return "command " + action + ": payload '" + field + "' " + what;
}

}  // namespace

CommandExecutor::CommandExecutor(ops::ServiceControl& service, const Clock& clock,
                                 CommandExecutorOptions options, SnapshotUploader* uploader)
    : service_(service), clock_(clock), options_(options), uploader_(uploader) {}

json CommandExecutor::Execute(const json& element) {
  ++counts_.received;
  json result = {{"action", nullptr}, {"timestamp", nullptr}};
  auto finish = [&](const std::string& status, const std::string& message, json data = nullptr) {
    result["status"] = status;
    result["message"] = message;
    result["finished_at"] = IsoUtcMillis(clock_.WallMillis());
    if (!data.is_null()) result["data"] = std::move(data);
    return result;
  };

  auto parsed = ParseCommand(element);
  if (!parsed.ok()) {
    ++counts_.rejected;
    if (element.is_object()) {
      if (auto a = element.find("action"); a != element.end() && a->is_string()) {
        result["action"] = *a;
      }
      if (auto t = element.find("timestamp"); t != element.end() && t->is_string()) {
        result["timestamp"] = *t;
      }
    }
    result["command"] = Clip(element.dump(), kMaxEchoedElement);
    return finish("rejected", "malformed " + parsed.status().message());
  }
  const RemoteCommand& cmd = *parsed;
  result["action"] = cmd.action;
  if (!cmd.timestamp.empty()) result["timestamp"] = cmd.timestamp;

  const Classification cls = ClassifyCommand(cmd);
  if (cls.kind == CommandClass::kDangerous) {
    ++counts_.refused;
    return finish("refused", cls.reason);
  }
  if (cls.kind == CommandClass::kUnknown) {
    ++counts_.rejected;
    return finish("rejected", cls.reason);
  }

  // Without a timestamp two deliveries cannot be told from one repeated, so
  // only timestamped commands are remembered.
  if (!cmd.timestamp.empty()) {
    const std::string key = cmd.action + '\n' + cmd.timestamp + '\n' + cmd.payload.dump();
    if (std::find(recent_.begin(), recent_.end(), key) != recent_.end()) {
      ++counts_.duplicates;
      return finish("duplicate",
                    "same action, timestamp and payload as a command already handled; not run "
                    "again");
    }
    recent_.push_back(key);
    while (recent_.size() > std::max<size_t>(1, options_.remembered_commands)) recent_.pop_front();
  }

  Outcome out = Run(cmd.action, cmd.payload);
  if (out.status == "rejected") {
    ++counts_.rejected;
  } else {
    ++counts_.executed;
    if (out.status == "failed") ++counts_.failed;
  }
  return finish(out.status, out.message, std::move(out.data));
}

CommandExecutor::Outcome CommandExecutor::Run(const std::string& action, const json& payload) {
  if (action == kMaintenance) return Maintenance(true, payload);
  if (action == kExitMaintenance) return Maintenance(false, payload);
  if (action == kSetConfThreshold) return SetConfThreshold(payload);
  if (action == kCaptureImage) return CaptureImage();
  if (action == kReportLogs) return ReportLogs(payload);
  if (action == kReportSystemInfo) {
    return {"completed", "system info", SystemInfo(service_.Status(), host_.Sample())};
  }
  if (action == kRestart) {
    // RESTART restarts the pipeline (the frame source is reopened), never the
    // machine: a reboot needs someone at the machine.
    const Status s = service_.RestartPipeline();
    if (!s.ok()) return {"failed", "pipeline restart: " + s.ToString(), nullptr};
    return {"completed", "pipeline restarted",
            json{{"pipeline_restarts", service_.Status().pipeline_restarts}}};
  }
  // ClassifyCommand lists exactly the actions handled above.
  return {"rejected", "no handler for '" + action + "'", nullptr};
}

CommandExecutor::Outcome CommandExecutor::Maintenance(bool on, const json& payload) {
  const std::string action = on ? kMaintenance : kExitMaintenance;
  std::string reason = "platform command " + action;
  if (auto r = payload.find("reason"); r != payload.end()) {
    if (!r->is_string()) {
      return {"rejected", PayloadError(action, "reason", "must be a string"), nullptr};
    }
    reason += ": " + Clip(r->get<std::string>(), 200);
  }
  const ops::ServiceStatus before = service_.Status();
  if (before.maintenance == on) {
    return {"completed",
            on ? "already in maintenance (" + before.maintenance_reason + ")"
               : "already out of maintenance",
            json{{"maintenance", on}}};
  }
  const Status s = service_.SetMaintenance(on, reason);
  if (!s.ok()) return {"failed", "maintenance: " + s.ToString(), nullptr};
  return {"completed", on ? "entered maintenance" : "left maintenance",
          json{{"maintenance", on}, {"accepting", service_.Status().accepting}}};
}

CommandExecutor::Outcome CommandExecutor::SetConfThreshold(const json& payload) {
  auto t = payload.find("threshold");
  if (t == payload.end()) {
    return {"rejected", PayloadError(kSetConfThreshold, "threshold", "is missing"), nullptr};
  }
  if (!t->is_number()) {
    return {"rejected", PayloadError(kSetConfThreshold, "threshold", "must be a number"), nullptr};
  }
  const double threshold = t->get<double>();
  // The one rule of detector.conf_threshold, with the payload field named.
  if (const Status bad = CheckConfThreshold(threshold, "payload 'threshold'"); !bad.ok()) {
    return {"rejected", "command " + std::string(kSetConfThreshold) + ": " + bad.message(), nullptr};
  }
  const double before = service_.Status().conf_threshold;
  if (before == threshold) {
    return {"completed", "threshold already " + t->dump(), json{{"conf_threshold", threshold}}};
  }
  const Status s = service_.SetConfThreshold(threshold);
  if (!s.ok()) return {"failed", "confidence threshold: " + s.ToString(), nullptr};
  return {"completed", "threshold set to " + t->dump(),
          json{{"conf_threshold", threshold}, {"previous", before}}};
}

CommandExecutor::Outcome CommandExecutor::CaptureImage() {
  const std::string jpeg = service_.SnapshotJpeg();
  if (jpeg.empty()) return {"failed", "no frame has been detected yet", nullptr};
  json data = {{"bytes", jpeg.size()}, {"sha256", Sha256Hex(jpeg)}};
  if (uploader_ == nullptr) {
    return {"completed", "snapshot taken; this contract has no upload endpoint for it",
            std::move(data)};
  }
  auto uploaded = uploader_->Upload(jpeg);
  if (!uploaded.ok()) {
    data["upload_error"] = uploaded.status().message();
    return {"failed", "snapshot taken, upload failed: " + uploaded.status().message(),
            std::move(data)};
  }
  data["uploaded"] = *uploaded;
  return {"completed", "snapshot uploaded", std::move(data)};
}

CommandExecutor::Outcome CommandExecutor::ReportLogs(const json& payload) {
  int lines = options_.default_log_lines;
  if (auto l = payload.find("lines"); l != payload.end()) {
    if (!l->is_number_integer() || l->get<int64_t>() < 1 ||
        l->get<int64_t>() > options_.max_log_lines) {
      return {"rejected",
              PayloadError(kReportLogs, "lines",
                           "= " + l->dump() + ": must be an integer in [1, " +
                               std::to_string(options_.max_log_lines) + "]"),
              nullptr};
    }
    lines = static_cast<int>(l->get<int64_t>());
  }
  std::vector<std::string> logs = service_.RecentLogs(lines);
  // Keep the newest lines that fit; the heartbeat body must stay small.
  size_t bytes = 0;
  size_t keep = 0;
  for (auto it = logs.rbegin(); it != logs.rend(); ++it) {
    if (bytes + it->size() > options_.max_log_bytes) break;
    bytes += it->size();
    ++keep;
  }
  const size_t dropped = logs.size() - keep;
  logs.erase(logs.begin(), logs.begin() + static_cast<std::ptrdiff_t>(dropped));
  json data = {{"lines", logs}};
  if (dropped > 0) data["truncated_lines"] = dropped;
  return {"completed", std::to_string(logs.size()) + " log lines", std::move(data)};
}

}  // namespace rvm::remote
