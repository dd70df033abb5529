// The v2 device API (platform-api.md part A, prefix /api/v2): login, detection
// results, image upload, metrics and self-claim, with the server's validation
// rules and its three error shapes. Detection results and uploads dedupe on
// the item id (Idempotency-Key header, else item_id / metadata[item_id]).
//
// Stateless: handlers keep everything in ApiContext's store, so they run on any
// number of HTTP threads at once.
#pragma once

#include "platform_sim/api_context.h"

namespace rvm::sim {

void RegisterV2Routes(ApiContext& ctx, const AddRoute& add);

// "+07:00" for the zones the platform's machines use; "+00:00" for others.
std::string TimezoneOffset(const std::string& timezone);

}  // namespace rvm::sim
