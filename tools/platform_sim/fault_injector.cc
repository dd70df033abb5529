#include "platform_sim/fault_injector.h"

#include <cstdint>
#include <utility>

namespace rvm::sim {
namespace {

using nlohmann::json;

struct TriggerKey {
  const char* name;
  FaultTrigger FaultSettings::*member;
};

constexpr TriggerKey kTriggers[] = {
    {"reset", &FaultSettings::reset},           {"hang", &FaultSettings::hang},
    {"rate_limit", &FaultSettings::rate_limit}, {"error", &FaultSettings::error},
    {"html_body", &FaultSettings::html_body},   {"malformed_json", &FaultSettings::malformed_json},
};

Status BadValue(const std::string& key, const std::string& what) {
  return InvalidArgument("fault setting '" + key + "': " + what);
}

Status ReadInt(const json& j, const std::string& key, int64_t min, int64_t max, int64_t& out) {
  if (!j.is_number_integer()) return BadValue(key, "must be an integer");
  const int64_t v = j.get<int64_t>();
  if (v < min || v > max) {
    return BadValue(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  out = v;
  return Status::Ok();
}

}  // namespace

const char* FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kNone:
      return "none";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kHang:
      return "hang";
    case FaultKind::kRateLimit:
      return "rate_limit";
    case FaultKind::kError:
      return "error";
    case FaultKind::kHtmlBody:
      return "html_body";
    case FaultKind::kMalformedJson:
      return "malformed_json";
  }
  return "unknown";
}

Result<FaultSettings> ParseFaultSettings(const json& j, const FaultSettings& base) {
  if (!j.is_object()) return InvalidArgument("fault settings: must be a JSON object");
  FaultSettings s = base;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    bool matched = false;
    for (const auto& t : kTriggers) {
      const std::string name = t.name;
      if (key == name + "_next") {
        RVM_RETURN_IF_ERROR(ReadInt(v, key, 0, INT64_MAX, (s.*t.member).next));
        matched = true;
      } else if (key == name + "_rate") {
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 1) {
          return BadValue(key, "must be a number between 0 and 1");
        }
        (s.*t.member).rate = v.get<double>();
        matched = true;
      }
    }
    if (matched) continue;
    int64_t n = 0;
    if (key == "latency_ms") {
      RVM_RETURN_IF_ERROR(ReadInt(v, key, 0, 600'000, s.latency_ms));
    } else if (key == "hang_ms") {
      RVM_RETURN_IF_ERROR(ReadInt(v, key, 0, 3'600'000, s.hang_ms));
    } else if (key == "retry_after_s") {
      RVM_RETURN_IF_ERROR(ReadInt(v, key, 0, 86'400, s.retry_after_s));
    } else if (key == "error_status") {
      RVM_RETURN_IF_ERROR(ReadInt(v, key, 0, 599, n));
      if (n != 0 && n != 500 && n != 503) return BadValue(key, "must be 500, 503 or 0 (alternate)");
      s.error_status = static_cast<int>(n);
    } else if (key == "html_status") {
      RVM_RETURN_IF_ERROR(ReadInt(v, key, 100, 599, n));
      s.html_status = static_cast<int>(n);
    } else if (key == "process_before_fault") {
      if (!v.is_boolean()) return BadValue(key, "must be true or false");
      s.process_before_fault = v.get<bool>();
    } else if (key == "path_filter") {
      if (!v.is_string()) return BadValue(key, "must be a string");
      s.path_filter = v.get<std::string>();
    } else if (key == "seed") {
      if (!v.is_number_integer() || (!v.is_number_unsigned() && v.get<int64_t>() < 0)) {
        return BadValue(key, "must be a non-negative integer");
      }
      s.seed = v.get<uint64_t>();
    } else if (key == "expire_tokens") {
      if (!v.is_boolean()) return BadValue(key, "must be true or false");
    } else {
      return BadValue(key, "unknown setting");
    }
  }
  return s;
}

json FaultSettingsToJson(const FaultSettings& s) {
  json j = {{"latency_ms", s.latency_ms},       {"hang_ms", s.hang_ms},
            {"retry_after_s", s.retry_after_s}, {"error_status", s.error_status},
            {"html_status", s.html_status},     {"process_before_fault", s.process_before_fault},
            {"path_filter", s.path_filter},     {"seed", s.seed}};
  for (const auto& t : kTriggers) {
    const FaultTrigger& trigger = s.*t.member;
    j[std::string(t.name) + "_next"] = trigger.next;
    j[std::string(t.name) + "_rate"] = trigger.rate;
  }
  return j;
}

FaultInjector::FaultInjector(FaultSettings settings) { Set(std::move(settings)); }

void FaultInjector::Set(FaultSettings settings) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
  rng_.seed(settings_.seed);
}

FaultSettings FaultInjector::Get() const {
  std::lock_guard lock(mu_);
  return settings_;
}

bool FaultInjector::Fire(FaultTrigger& trigger) {
  if (trigger.next > 0) {
    --trigger.next;
    return true;
  }
  if (trigger.rate <= 0) return false;
  // Draws happen in request order under mu_, so a run's faults depend only on
  // the seed and the order requests arrive in.
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < trigger.rate;
}

FaultDecision FaultInjector::Decide(const std::string& path) {
  std::lock_guard lock(mu_);
  FaultDecision d;
  if (!settings_.path_filter.empty() && path.find(settings_.path_filter) == std::string::npos) {
    return d;
  }
  d.latency_ms = settings_.latency_ms;
  if (d.latency_ms > 0) ++counts_["latency"];
  static constexpr std::pair<FaultKind, FaultTrigger FaultSettings::*> kOrder[] = {
      {FaultKind::kReset, &FaultSettings::reset},
      {FaultKind::kHang, &FaultSettings::hang},
      {FaultKind::kRateLimit, &FaultSettings::rate_limit},
      {FaultKind::kError, &FaultSettings::error},
      {FaultKind::kHtmlBody, &FaultSettings::html_body},
      {FaultKind::kMalformedJson, &FaultSettings::malformed_json},
  };
  for (const auto& [kind, member] : kOrder) {
    if (Fire(settings_.*member)) {
      d.kind = kind;
      break;
    }
  }
  if (d.kind == FaultKind::kNone) return d;
  ++counts_[FaultKindName(d.kind)];
  d.hang_ms = settings_.hang_ms;
  d.retry_after_s = settings_.retry_after_s;
  d.process_before_fault = settings_.process_before_fault;
  if (d.kind == FaultKind::kHtmlBody) d.status = settings_.html_status;
  if (d.kind == FaultKind::kError) {
    d.status =
        settings_.error_status != 0 ? settings_.error_status : (errors_sent_ % 2 == 0 ? 500 : 503);
    ++errors_sent_;
  }
  return d;
}

std::map<std::string, int64_t> FaultInjector::InjectedCounts() const {
  std::lock_guard lock(mu_);
  return counts_;
}

void FaultInjector::ResetCounts() {
  std::lock_guard lock(mu_);
  counts_.clear();
}

}  // namespace rvm::sim
