// The admin server's JSON bodies, built from plain values: the status
// summary, readiness, recent decisions, and the v2 platform's pull probes
// (/pulse, /api/health-check, /api/metrics; see ../shared/docs/platform-api.md,
// section A3). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "admin/admin_metrics.h"
#include "admin/system_probe.h"
#include "ops/service_control.h"

namespace rvm::admin {

// `GET /api/status`: the ServiceStatus, per-stage latency and the machine's
// readings, in one object (documented in docs/operations.md).
nlohmann::json StatusToJson(const ops::ServiceStatus& status,
                            const std::vector<StageLatency>& stages, const SystemSample& system);

// `GET /readyz`: {"ready": bool, "failing": [names], "checks": [{name, ok, detail}]}.
nlohmann::json ReadinessToJson(const std::vector<ops::ReadinessCheck>& checks);

// `GET /api/decisions`: {"decisions": [decision JSON + "thumbnail_url" (null
// when no frame was kept)]}, newest first.
nlohmann::json DecisionsToJson(const std::vector<ops::RecentDecision>& decisions);

// `GET /pulse` (v2, port 5002): {status: "ok", services: {...},
// current_time_iso, uptime_service_seconds}.
nlohmann::json PulseJson(const ops::ServiceStatus& status,
                         const std::vector<ops::ReadinessCheck>& checks, int64_t now_ms);

// `GET /api/health-check` (v2, port 8000): {status: "ok"|"degraded", ready,
// machine_id, version, checks: {name: bool}, current_time_iso}.
nlohmann::json HealthCheckJson(const ops::ServiceStatus& status,
                               const std::vector<ops::ReadinessCheck>& checks, int64_t now_ms);

// `GET /api/metrics` (v2, port 8000): {system_metrics: {cpu_usage,
// memory_usage, disk_usage, gpu_usage, temperature}, application_metrics:
// {...}}, the field names the platform stores. Usages are percent; a
// reading the machine lacks is left out.
nlohmann::json ProbeMetricsJson(const ops::ServiceStatus& status, const SystemSample& system,
                                std::optional<int64_t> last_decision_ms);

// The platform stores application_metrics.uptime_seconds as decimal(10,6)
// and fails on 10000 or more, so the probe reports at most this.
inline constexpr double kPlatformMaxUptimeSeconds = 9999.999999;

}  // namespace rvm::admin
