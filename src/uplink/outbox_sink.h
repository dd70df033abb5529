// OutboxSink: the DecisionSink that makes decisions durable in the outbox.
//
// Write() appends the decision (DecisionToJson, with its best-frame JPEG as
// evidence) and WriteSessionSummary() the session's summary
// (SessionSummaryToJson), each returning only once the record is durable
// (Outbox::Append); only then may the machine acknowledge the item. When the
// outbox is not accepting (quota or disk full) the error is returned and the
// item must be refused. A record appended twice (same item id) is stored once.
// After each append `on_append` runs (DeliveryService::Notify), so delivery
// starts at once instead of at the next poll.
//
// Outbox record ids: a decision's item_id; a session summary's
// "session-" + session_id.
//
// Thread-safe: the outbox is, and the sink holds no other state.
#pragma once

#include <functional>

#include "deposit/decision_sink.h"
#include "outbox/outbox.h"

namespace rvm::uplink {

class OutboxSink final : public DecisionSink {
 public:
  explicit OutboxSink(outbox::Outbox& outbox, std::function<void()> on_append = nullptr)
      : outbox_(outbox), on_append_(std::move(on_append)) {}

  Status Write(const Decision& decision) override;
  Status WriteSessionSummary(const SessionSummary& summary) override;
  // Every successful Write is already durable.
  Status Flush() override { return Status::Ok(); }
  // False while the outbox cannot take records (quota or disk full): the
  // recorder then rejects items instead of accepting what it cannot record.
  bool Accepting() override { return outbox_.accepting(); }

 private:
  Status Append(const outbox::NewRecord& record);

  outbox::Outbox& outbox_;
  const std::function<void()> on_append_;
};

using outbox::SessionRecordId;

// The summaries of the sessions an earlier run left open, rebuilt
// (RecoverSessionSummaries) from the outbox's deposit records of sessions
// without a summary record (Outbox::DepositsOfUnclosedSessions). Feed them to
// DecisionRecorder::RecoverSessions before the first item of this run.
Result<std::vector<SessionSummary>> RecoverUnclosedSessions(outbox::Outbox& outbox);

}  // namespace rvm::uplink
