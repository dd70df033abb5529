#include "admin/readiness.h"

#include <algorithm>
#include <string>

namespace rvm::admin {

std::vector<ops::ReadinessCheck> EvaluateReadiness(const ops::ServiceStatus& status,
                                                   const ReadinessOptions& options) {
  std::vector<ops::ReadinessCheck> checks;

  const int workers = status.pipeline.workers;
  checks.push_back({"model", workers > 0,
                    workers > 0
                        ? std::to_string(workers) + " detector(s) loaded from " + status.model
                        : "no detector loaded (" + status.model + ")"});

  const int64_t age = status.last_frame_age_ms;
  if (age < 0) {
    checks.push_back({"frame_source", false, "no frame received yet from " + status.source});
  } else if (age > options.max_frame_age_ms) {
    checks.push_back({"frame_source", false,
                      "no frame for " + std::to_string(age) + " ms (limit " +
                          std::to_string(options.max_frame_age_ms) + " ms) from " + status.source});
  } else {
    checks.push_back({"frame_source", true, "last frame " + std::to_string(age) + " ms ago"});
  }

  if (!status.outbox) {
    checks.push_back({"outbox", true, "not used"});
  } else if (!status.outbox->accepting) {
    const std::string why = status.outbox->not_accepting_reason.empty()
                                ? std::to_string(status.outbox->bytes_used) + " of " +
                                      std::to_string(status.outbox->quota_bytes) +
                                      " quota bytes used"
                                : status.outbox->not_accepting_reason;
    checks.push_back({"outbox", false, "stopped accepting records (" + why + ")"});
  } else {
    checks.push_back(
        {"outbox", true, std::to_string(status.outbox->pending) + " record(s) pending"});
  }

  if (status.maintenance) {
    checks.push_back({"accepting", false,
                      "in maintenance" + (status.maintenance_reason.empty()
                                              ? std::string()
                                              : ": " + status.maintenance_reason)});
  } else if (!status.accepting) {
    checks.push_back({"accepting", false, "items are not accepted"});
  } else {
    checks.push_back({"accepting", true, "accepting items"});
  }
  return checks;
}

bool AllReady(const std::vector<ops::ReadinessCheck>& checks) {
  return !checks.empty() && std::all_of(checks.begin(), checks.end(),
                                        [](const ops::ReadinessCheck& c) { return c.ok; });
}

}  // namespace rvm::admin
