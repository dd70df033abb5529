#include "app/live_settings.h"

#include "config/config_reload.h"
#include "config/config_validate.h"

namespace rvm::app {

LiveSettings::LiveSettings(Config startup, ApplyFn apply)
    : startup_(std::move(startup)),
      apply_(std::move(apply)),
      current_(RuntimeSettingsOf(startup_)) {}

RuntimeSettings LiveSettings::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void LiveSettings::WithCurrent(const std::function<void(const RuntimeSettings&)>& use) const {
  std::lock_guard lock(mu_);
  use(current_);
}

Status LiveSettings::ApplyLocked(const RuntimeSettings& next) {
  const std::vector<ConfigIssue> issues = ValidateRuntimeSettings(next);
  if (!issues.empty()) return InvalidArgument(issues.front().message);
  if (next == current_) return Status::Ok();
  current_ = next;
  if (apply_) apply_(current_);
  return Status::Ok();
}

Status LiveSettings::Update(const std::function<void(RuntimeSettings&)>& edit) {
  std::lock_guard lock(mu_);
  RuntimeSettings next = current_;
  edit(next);
  return ApplyLocked(next);
}

Status LiveSettings::SetConfThreshold(double threshold) {
  return Update([threshold](RuntimeSettings& s) { s.conf_threshold = threshold; });
}

LiveSettings::ReloadReport LiveSettings::Reload(const Config& fresh) {
  std::lock_guard lock(mu_);
  const ReloadPlan plan = PlanReload(WithRuntimeSettings(startup_, current_), fresh);
  ReloadReport report;
  report.restart_needed = plan.restart_needed;
  if (plan.apply.empty()) return report;
  report.status = ApplyLocked(RuntimeSettingsOf(fresh));
  if (report.status.ok()) report.applied = plan.apply;
  return report;
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string out;
  for (const std::string& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out.empty() ? std::string("none") : out;
}

}  // namespace rvm::app
