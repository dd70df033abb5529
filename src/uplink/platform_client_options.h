// PlatformClientOptions: how an adapter reaches and identifies itself to the
// platform. A plain struct; MakePlatformClient (platform_client_factory.h)
// fills it from config.uplink.
#pragma once

#include <cstdint>
#include <string>

#include "uplink/http_client.h"

namespace rvm::uplink {

struct PlatformClientOptions {
  std::string base_url;          // platform origin, e.g. "https://myrvm.example"; no trailing slash
  std::string api_key;           // edge v1 X-RVM-API-KEY; v2 X-API-Key (self-claim)
  int64_t machine_id = 0;        // platform's numeric machine id (rvm_id, X-RVM-Machine-ID)
  std::string machine_name;      // handshake/claim name
  std::string hardware_id;       // edge v1 handshake hardware_id (the machine's serial)
  std::string software_version;  // sent in handshake, claim and heartbeat
  std::string email;             // bearer login e-mail (v2; edge v1 bearer sync-offline)
  std::string password;          // bearer login password
  std::string token;             // a pre-issued bearer token; "" = log in with email/password
  bool sync_offline_bearer = false;  // edge v1: dev-server variant (bearer + X-RVM-Machine-ID)
  HttpClientOptions http;
};

}  // namespace rvm::uplink
