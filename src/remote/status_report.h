// Status reports: the service's status as the JSON the heartbeat and the
// REPORT_SYSTEM_INFO command send. Pure and thread-safe.
//
// HealthMetrics is the heartbeat's `health_metrics` object. It uses the edge
// v1 contract's names for the host figures (cpu_usage_percent,
// memory_usage_percent, disk_usage_percent, cpu_temperature: numbers 0..100
// and degrees C; left out when unknown) and adds the service's own figures
// (frames, items, backlog, accepting/maintenance) under descriptive names.
// The v2 adapter maps the host figures onto its metrics fields.
#pragma once

#include <nlohmann/json.hpp>

#include "ops/service_control.h"
#include "remote/host_metrics.h"

namespace rvm::remote {

nlohmann::json HealthMetrics(const ops::ServiceStatus& status, const HostSample& host);

// Everything the heartbeat reports plus the configuration facts (model,
// source, threshold, identity) and the process's own resource use.
nlohmann::json SystemInfo(const ops::ServiceStatus& status, const HostSample& host);

}  // namespace rvm::remote
