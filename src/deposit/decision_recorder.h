// DecisionRecorder: finished items -> recorded decisions, in sessions.
//
// For each item the tracker finishes: apply the decision policy, mint the
// item id (UUIDv7), find its session (a guest session is opened by the first
// item when none is open; an idle one is closed first), write the Decision to
// the sink, and only then count the item in its session. Session summaries go
// to the same sink when a session closes.
//
// What a failure means (a deposit is money):
//  * The sink refuses a decision: Record returns that error, and the item is
//    in no session and earns nothing. The caller must treat the item as not
//    taken (return it to the person) and may retry with the same TrackedItem.
//  * The sink refuses a session summary: the summary is kept and written
//    again, before anything else, on every later call; it is never dropped.
//    Until it is written every Record fails with its error (the item is not
//    taken): the credit of items already taken goes first. With the outbox
//    as the sink that happens only when the outbox could not take a deposit
//    either: a failed commit (sticky until restart), a full disk or a
//    summary larger than the ledger's reserve, or a busy database (the next
//    call writes it). A failing side log (the decisions file) never refuses
//    anything (app/tee_sink.h).
//
// Out of service: while the machine is not accepting items (SetOutOfService,
// e.g. maintenance; or the sink's Accepting() says false: the outbox full,
// or a commit of it failed) every item is decided as rejected: accepted =
// false, reason out_of_service, reason_detail says why, 0 points; the label,
// material and confidence stay what the policy found. It is then written to
// the sink like any decision. In maintenance the outbox takes it, so the
// platform sees the rejection. The outbox refuses deposit records while it
// is not accepting (Outbox::Append), so then Record fails as above: the item
// is in no session, the platform never hears of it, and the caller hands it
// back as not taken. Either way the person gets the item back.
//
// Frame times in TrackedItem must come from the same Clock's Now(); they are
// turned into wall-clock times for the record.
//
// Thread-safe: one mutex serialises items from the pipeline thread and
// session opens and closes from the admin API.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "config/config.h"
#include "config/runtime_settings.h"
#include "deposit/decision.h"
#include "deposit/decision_sink.h"
#include "deposit/item_tracker.h"
#include "deposit/label_map.h"
#include "deposit/session.h"
#include "deposit/uuid_v7.h"

namespace rvm {

// What the pipeline knows about an item beyond the tracker.
struct ItemEvidence {
  std::string best_frame_jpeg;        // JPEG of the frame at TrackedItem::best_frame_time
  std::vector<StageTiming> stage_ms;  // per-stage timings of that frame
};

class DecisionRecorder {
 public:
  DecisionRecorder(const MachineConfig& machine, const PolicyConfig& policy,
                   const SessionsConfig& sessions, LabelMap labels, DecisionSink& sink,
                   const Clock& clock, UuidV7Generator& ids);

  // Decides `item` and records it; see the failure rules above.
  Result<Decision> Record(const TrackedItem& item, ItemEvidence evidence = {});

  // Opens a user session (see SessionBook::OpenUserSession); a session it
  // replaces is summarised to the sink.
  Result<SessionTicket> OpenUserSession(int64_t user_id, std::string session_id = "");

  // Closes the open session, if any, and writes its summary.
  Status CloseSession();

  // Closes the open session if it has been idle past the timeout; call it
  // periodically (every second is plenty).
  Status CloseIdleSession();

  // Closes sessions an earlier run left open: queues their summaries
  // (RecoverSessionSummaries) ahead of everything this run writes and tries
  // to write them now. Call once at start, before the first item. A summary
  // the sink refuses stays pending like any other (see above).
  Status RecoverSessions(std::vector<SessionSummary> summaries);

  // Writes pending summaries and flushes the sink.
  Status Flush();

  // Takes the run-time settings it uses (validated by ValidateRuntimeSettings):
  // the accept thresholds and points for the next item decided, the session
  // idle timeout for the open session too. Any thread.
  void SetRuntimeSettings(const RuntimeSettings& settings);

  // Stops (on = true) or resumes accepting items. `reason` ("maintenance:
  // cleaning the chute") becomes the reason_detail of the items rejected
  // meanwhile; empty means "out of service". Takes effect for the next item.
  void SetOutOfService(bool on, std::string reason);
  // Why items are rejected now (SetOutOfService's reason, else
  // kSinkNotAccepting when the sink is not accepting); nullopt while items
  // are accepted.
  std::optional<std::string> OutOfServiceReason() const;

  // reason_detail of items rejected because the sink is not accepting.
  static constexpr const char* kSinkNotAccepting = "outbox full: not accepting new records";

  std::optional<SessionTicket> CurrentSession() const;
  // Summaries closed but not yet accepted by the sink.
  size_t pending_summaries() const;

 private:
  void QueueLocked(std::optional<SessionSummary> summary);
  Status DrainLocked();

  const std::string machine_id_;
  PolicyConfig policy_;  // guarded by mu_ (its accept thresholds change at run time)
  const LabelMap labels_;
  DecisionSink& sink_;
  const Clock& clock_;
  UuidV7Generator& ids_;

  std::optional<std::string> OutOfServiceReasonLocked() const;

  mutable std::mutex mu_;
  SessionBook sessions_;                 // guarded by mu_
  std::vector<SessionSummary> pending_;  // guarded by mu_
  // Set while out of service on request, with its reason.
  std::optional<std::string> out_of_service_;  // guarded by mu_
};

}  // namespace rvm
