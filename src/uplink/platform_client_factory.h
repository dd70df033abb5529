// Building the uplink from configuration: the PlatformClient adapter that
// config.uplink.contract names, and the DeliveryService options its keys set.
// Pure apart from the client's HTTP handle; errors name the config key.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "uplink/delivery_service.h"
#include "uplink/platform_client.h"
#include "uplink/platform_client_options.h"

namespace rvm::uplink {

PlatformClientOptions ClientOptionsFromConfig(const UplinkConfig& uplink,
                                              const MachineConfig& machine,
                                              const std::string& software_version);
DeliveryOptions DeliveryOptionsFromConfig(const UplinkConfig& uplink);

// The adapter for uplink.contract ("edge_v1" | "v2"). InvalidArgument naming
// the key when the contract is unknown or a setting it needs is missing.
// `on_request`, when set, sees every request's time and outcome (metrics).
Result<std::unique_ptr<PlatformClient>> MakePlatformClient(
    const UplinkConfig& uplink, const MachineConfig& machine, const std::string& software_version,
    const Clock& clock, std::function<void(double ms, bool ok)> on_request = nullptr);

}  // namespace rvm::uplink
