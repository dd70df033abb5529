// What the sim's API handlers share, and the response shapes they reuse.
//
// ApiContext bundles the store, the options and the clock; a handler gets it
// by reference and holds no state of its own. The Respond* helpers write the
// exact error envelopes of platform-api.md (Laravel's validation shape, the
// v2 hand-written shape, the edge v1 API-key middleware's codes).
//
// Thread-safety: ApiContext members are themselves thread-safe (SimStore,
// Clock) or read-only after start (options), so many handler threads share one.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "base/clock.h"
#include "platform_sim/platform_sim_options.h"
#include "platform_sim/sim_store.h"
#include "platform_sim/validation.h"

namespace rvm::sim {

struct ApiContext {
  SimStore& store;
  const PlatformSimOptions& options;
  const Clock& clock;
  std::string base_url;  // "http://127.0.0.1:PORT", for URLs inside responses
};

using ApiHandler = std::function<void(const httplib::Request&, httplib::Response&)>;
// Registers `handler` for `method` ("GET"/"POST"/...) and a path regex; `route`
// names it in the stats ("POST /api/v2/rvms/{id}/metrics").
using AddRoute = std::function<void(const std::string& method, const std::string& pattern,
                                    const std::string& route, ApiHandler handler)>;

void RespondJson(httplib::Response& res, int status, const nlohmann::json& body);
void RespondJson(httplib::Response& res, int status, const nlohmann::ordered_json& body);

// Laravel's default 422: {"message": "<first> (and N more errors)", "errors": {...}}.
void RespondLaravelValidation(httplib::Response& res, const FieldErrors& errors);
// v2 hand-written validators: {"success": false, "message": "Validation failed", "errors": {...}}.
void RespondV2Validation(httplib::Response& res, const FieldErrors& errors);
// Sanctum's 401 {"message": "Unauthenticated."}.
void RespondUnauthenticated(httplib::Response& res);

// The JSON body of a request, or its form-encoded fields as strings; anything
// else reads as {} (as Laravel's input bag does), so validation reports the
// missing fields.
nlohmann::json JsonBody(const httplib::Request& req);

// The user of a live bearer token ("Authorization: Bearer <token>"), or
// nullopt when the header is missing, unknown, revoked or past token_ttl_ms.
std::optional<User> BearerUser(ApiContext& ctx, const httplib::Request& req);

// The request's idempotency key: the Idempotency-Key header, else `fallback`.
std::string IdempotencyKey(const httplib::Request& req, const std::string& fallback);

// ISO 8601 UTC with microseconds, as Laravel serialises timestamps.
std::string IsoTime(int64_t wall_ms);

}  // namespace rvm::sim
