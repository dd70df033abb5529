// Readiness: whether the machine can take items now, as the checks
// `GET /readyz` lists. A pure function of a ServiceStatus: the service's
// ServiceControl::Readiness() (app/control_surface.cc), the fakes and the
// tests all use this one definition.
#pragma once

#include <cstdint>
#include <vector>

#include "ops/service_control.h"

namespace rvm::admin {

struct ReadinessOptions {
  // The frame source counts as stalled when its last frame is older than
  // this, ms. Idle sampling runs at a few frames per second, so a healthy
  // source is never near it; a camera that stops delivering crosses it.
  int64_t max_frame_age_ms = 10'000;
};

// Checks, in this order:
//   model         a detector is loaded (pipeline workers > 0)
//   frame_source  the pipeline runs and a frame arrived within max_frame_age_ms
//   outbox        the outbox accepts records (not used: passes; its
//                 statistics unreadable: fails)
//   accepting     not in maintenance and the outbox accepts records
std::vector<ops::ReadinessCheck> EvaluateReadiness(const ops::ServiceStatus& status,
                                                   const ReadinessOptions& options = {});

// True when every check passes (an empty list is not ready).
bool AllReady(const std::vector<ops::ReadinessCheck>& checks);

}  // namespace rvm::admin
