#include "uplink/platform_client_factory.h"

#include <algorithm>

#include "uplink/edge_v1_client.h"
#include "uplink/v2_client.h"

namespace rvm::uplink {

PlatformClientOptions ClientOptionsFromConfig(const UplinkConfig& uplink,
                                              const MachineConfig& machine,
                                              const std::string& software_version) {
  PlatformClientOptions o;
  o.base_url = uplink.base_url;
  o.api_key = uplink.api_key.value;
  o.machine_id = uplink.machine_id;
  o.machine_name = machine.name;
  o.hardware_id = machine.id;
  o.software_version = software_version;
  o.email = uplink.email;
  o.password = uplink.password.value;
  o.token = uplink.token.value;
  o.sync_offline_bearer = uplink.sync_offline_auth == "bearer";
  o.http.connect_timeout_ms = uplink.connect_timeout_ms;
  o.http.request_timeout_ms = uplink.request_timeout_ms;
  o.http.ca_path = uplink.ca_path;
  o.http.user_agent = "rvm-edge/" + software_version;
  return o;
}

DeliveryOptions DeliveryOptionsFromConfig(const UplinkConfig& uplink) {
  DeliveryOptions d;
  d.session_batch.max_records = std::max(1, uplink.batch_max_size);
  d.session_batch.max_delay_ms = std::max(0, uplink.batch_max_delay_ms);
  d.records_per_round = std::max(uplink.records_per_round, d.session_batch.max_records);
  d.backoff.min_ms = std::max(1, uplink.retry_backoff_min_ms);
  d.backoff.max_ms = std::max(uplink.retry_backoff_min_ms, uplink.retry_backoff_max_ms);
  d.breaker.failure_threshold = std::max(1, uplink.circuit_failure_threshold);
  d.breaker.open_ms = std::max(1, uplink.circuit_open_ms);
  d.breaker.max_open_ms = std::max(uplink.circuit_open_ms, uplink.circuit_max_open_ms);
  d.max_records_per_s = std::max(0.0, uplink.replay_max_records_per_s);
  d.max_in_flight = std::clamp(uplink.max_in_flight, 1, HttpClient::kMaxConnections);
  return d;
}

Result<std::unique_ptr<PlatformClient>> MakePlatformClient(
    const UplinkConfig& uplink, const MachineConfig& machine, const std::string& software_version,
    const Clock& clock, std::function<void(double ms, bool ok)> on_request) {
  PlatformClientOptions o = ClientOptionsFromConfig(uplink, machine, software_version);
  o.http.on_request = std::move(on_request);
  if (uplink.contract == "edge_v1") {
    auto c = EdgeV1Client::Create(std::move(o), clock);
    if (!c.ok()) return c.status();
    return std::unique_ptr<PlatformClient>(std::move(c).value());
  }
  if (uplink.contract == "v2") {
    auto c = V2Client::Create(std::move(o), clock);
    if (!c.ok()) return c.status();
    return std::unique_ptr<PlatformClient>(std::move(c).value());
  }
  return InvalidArgument("uplink.contract: '" + uplink.contract +
                         "' is not a platform contract (expected edge_v1 or v2)");
}

}  // namespace rvm::uplink
