// Crash points: where the chaos tests kill the real service on purpose.
//
// When the environment variable RVM_EDGE_TEST_CRASH_AT is "NAME:N", the N-th
// time the process passes CrashPoint("NAME") it sends itself SIGKILL, as a
// kill -9 or a power cut at exactly that moment would (every commit before
// it was fsynced, so for what is durable the two are the same). Unset, as in
// production, a call costs a null-pointer check. The names in use:
//
//   decision_committed     a decision's record is durable, the item not yet acknowledged
//   summary_committed      a session summary's record is durable
//   platform_acknowledged  the platform answered a send; not yet marked delivered
//   delivery_marked        the acknowledged records are marked delivered
//
// Thread-safe.
#pragma once

#include <string_view>

namespace rvm {

void CrashPoint(std::string_view name);

}  // namespace rvm
