#include "admin/readiness.h"

#include <algorithm>
#include <string>

namespace rvm::admin {
namespace {

std::string NotAcceptingReason(const outbox::OutboxStats& o) {
  return o.not_accepting_reason.empty() ? std::to_string(o.bytes_used) + " of " +
                                              std::to_string(o.quota_bytes) + " quota bytes used"
                                        : o.not_accepting_reason;
}

}  // namespace

std::vector<ops::ReadinessCheck> EvaluateReadiness(const ops::ServiceStatus& status,
                                                   const ReadinessOptions& options) {
  std::vector<ops::ReadinessCheck> checks;

  const int workers = status.pipeline.workers;
  checks.push_back({"model", workers > 0,
                    workers > 0
                        ? std::to_string(workers) + " detector(s) loaded from " + status.model
                        : "no detector loaded (" + status.model + ")"});

  const int64_t age = status.last_frame_age_ms;
  if (!status.pipeline_running) {
    checks.push_back({"frame_source", false, "the pipeline is not running (" + status.source + ")"});
  } else if (age < 0) {
    checks.push_back({"frame_source", false, "no frame received yet from " + status.source});
  } else if (age > options.max_frame_age_ms) {
    checks.push_back({"frame_source", false,
                      "no frame for " + std::to_string(age) + " ms (limit " +
                          std::to_string(options.max_frame_age_ms) + " ms) from " + status.source});
  } else {
    checks.push_back({"frame_source", true, "last frame " + std::to_string(age) + " ms ago"});
  }

  const auto& box = status.outbox;
  if (!box) {
    checks.push_back(status.outbox_unreadable
                         ? ops::ReadinessCheck{"outbox", false, "outbox statistics unreadable"}
                         : ops::ReadinessCheck{"outbox", true, "not used"});
  } else if (!box->accepting) {
    checks.push_back(
        {"outbox", false, "stopped accepting records (" + NotAcceptingReason(*box) + ")"});
  } else {
    checks.push_back({"outbox", true,
                      std::to_string(box->pending) + " record(s) pending, " +
                          std::to_string(box->bytes_used) + " of " +
                          std::to_string(box->quota_bytes) + " bytes used"});
  }

  if (status.maintenance) {
    checks.push_back({"accepting", false,
                      "in maintenance" + (status.maintenance_reason.empty()
                                              ? std::string()
                                              : " (" + status.maintenance_reason + ")")});
  } else if (box && !box->accepting) {
    checks.push_back({"accepting", false,
                      "the outbox is not accepting records (" + NotAcceptingReason(*box) +
                          "): items are refused"});
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
