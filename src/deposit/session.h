// Deposit sessions: every decided item belongs to one.
//
// A user session is opened through the platform's session flow or a local API
// call; when an item arrives and no session is open, a guest (donation)
// session is opened for it, credited to sessions.guest_user_id. Any session
// with no new item for sessions.idle_timeout_s is closed. Closing a session
// yields its SessionSummary: the items, by material, with points from the
// sessions.points table. The summary's JSON is the platform's offline-sync
// transaction (edge v1 `POST /edge/sync-offline`, one element of
// `transactions`): session_id, user_id, timestamp, items [{type, weight,
// points}], plus fields the server ignores and operators want.
//
// SessionBook is thread-compatible: DecisionRecorder owns it and serialises
// every call (items from the pipeline, session opens from the admin API).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "deposit/uuid_v7.h"

namespace rvm {

enum class SessionKind { kUser, kGuest };
const char* SessionKindName(SessionKind kind);  // "user" | "guest"

struct SessionTicket {
  std::string session_id;
  SessionKind kind = SessionKind::kGuest;
  int64_t user_id = 0;

  bool operator==(const SessionTicket&) const = default;
};

struct SessionItem {
  std::string item_id;
  std::optional<Material> material;  // nullopt: unknown item
  bool accepted = false;
  int points = 0;
  int64_t decided_ms = 0;  // wall clock, Unix ms
};

struct SessionSummary {
  SessionTicket session;
  std::string machine_id;
  int64_t opened_ms = 0;           // wall clock, Unix ms
  int64_t closed_ms = 0;           // wall clock, Unix ms
  std::string close_reason;        // "idle_timeout" | "closed" | "replaced" | "item_limit" | kRecoveredAfterRestart
  std::vector<SessionItem> items;  // every decided item, accepted or not, in order

  int total_points() const;
  int accepted_count() const;
};

// The full record: the sync-offline transaction fields plus `type`
// ("session_summary"), machine_id, session_kind, opened_at, closed_at,
// close_reason, by_material {material: {accepted, rejected, points}},
// accepted_items, rejected_items, total_points. Each element of `items` is an
// accepted item: {type (platform vocabulary), weight (0: the machine has no
// scale), points, item_id}.
nlohmann::json SessionSummaryToJson(const SessionSummary& s);

// Exactly the edge v1 sync-offline transaction: {session_id, user_id,
// timestamp (opened, ISO-8601 UTC), items [{type, weight, points}]}. A session
// without accepted items has an empty `items`, which the platform rejects:
// the uplink skips those (see SessionSummary::accepted_count).
nlohmann::json SyncOfflineTransaction(const SessionSummary& s);

// A guest session is closed ("item_limit") before its item number
// kMaxGuestSessionItems + 1, which opens a new one: its summary then fits in
// the outbox's reserve for the ledger (docs/outbox.md), and a busy machine
// whose guest session never idles out still credits as it goes. User
// sessions keep the platform's id, so they are never split.
inline constexpr size_t kMaxGuestSessionItems = 500;

// close_reason of a session a previous run left open (it crashed, lost
// power or was killed) and the next run closed from its records.
inline constexpr const char* kRecoveredAfterRestart = "recovered_after_restart";

// Rebuilds the summaries of sessions left open by an earlier run from their
// items' decision records (DecisionToJson objects, in the order decided):
// one summary per session_id, in the order of each session's first item,
// with the kind and user_id the items were decided under, every item
// (accepted or not) with the points it was decided with, opened_ms and
// closed_ms the first and last item's decided_at_ms, and close_reason
// kRecoveredAfterRestart. Points are never recomputed: a changed points
// table credits what the machine showed. A record that is not a decision
// with a session_id is skipped. Pure.
std::vector<SessionSummary> RecoverSessionSummaries(const std::vector<nlohmann::json>& decisions);

class SessionBook {
 public:
  SessionBook(const SessionsConfig& config, std::string machine_id, const Clock& clock,
              UuidV7Generator& ids);

  struct Change {
    SessionTicket ticket;                  // the session now open
    std::optional<SessionSummary> closed;  // the session closed to make way, if any
  };

  // The session the next item belongs to: closes the open one first if it has
  // been idle past the timeout (or is a guest session holding
  // kMaxGuestSessionItems), and opens a guest session when none is open.
  Change TicketForNextItem();

  // Replaces sessions.idle_timeout_s and sessions.points (a configuration
  // reload): the timeout applies to the open session too, the points to
  // items credited from now on.
  void SetTimeoutAndPoints(int idle_timeout_s, std::map<Material, int> points);

  // Points an item earns: sessions.points[material] when accepted, else 0.
  int PointsFor(std::optional<Material> material, bool accepted) const;

  // Records a decided item in the open session `ticket` names. Fails when that
  // session is no longer open.
  Status AddItem(const SessionTicket& ticket, SessionItem item);

  // Opens a user session. `session_id` is the platform's id, or "" to mint
  // one. Opening the session that is already open is a no-op (the platform
  // may deliver a claim twice); any other open session is closed first
  // ("replaced"). `user_id` must be > 0.
  Result<Change> OpenUserSession(int64_t user_id, std::string session_id = "");

  // Closes the open session; nullopt when none is open.
  std::optional<SessionSummary> Close(std::string reason = "closed");

  // Closes the open session when it has been idle for the timeout.
  std::optional<SessionSummary> CloseIfIdle();

  std::optional<SessionTicket> current() const;

 private:
  struct Open {
    SessionSummary summary;
    std::chrono::steady_clock::time_point last_activity;
  };
  SessionTicket OpenSession(SessionKind kind, int64_t user_id, std::string session_id);
  bool IsIdle() const;

  SessionsConfig config_;
  std::string machine_id_;
  const Clock& clock_;
  UuidV7Generator& ids_;
  std::optional<Open> open_;
};

}  // namespace rvm
