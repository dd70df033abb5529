// Building the uplink from configuration: the PlatformClient adapter that
// config.uplink.contract names, and the DeliveryService options its keys set.
// Pure apart from the client's HTTP handle; errors name the config key.
#pragma once

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
Result<std::unique_ptr<PlatformClient>> MakePlatformClient(const UplinkConfig& uplink,
                                                           const MachineConfig& machine,
                                                           const std::string& software_version,
                                                           const Clock& clock);

}  // namespace rvm::uplink
