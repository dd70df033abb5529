// The edge v1 device API (platform-api.md part B, prefix /api/v1): login,
// handshake, heartbeat (which delivers queued commands at most once), deposit
// and both variants of offline sync, with the server's validation rules and
// error envelopes. Deposits dedupe on the item id (Idempotency-Key header, else
// data.item_id); offline-sync transactions dedupe on session_id.
//
// Stateless: handlers keep everything in ApiContext's store, so they run on any
// number of HTTP threads at once.
#pragma once

#include "platform_sim/api_context.h"

namespace rvm::sim {

void RegisterEdgeV1Routes(ApiContext& ctx, const AddRoute& add);

}  // namespace rvm::sim
