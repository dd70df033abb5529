#include "uplink/outbox_sink.h"

namespace rvm::uplink {

std::string SessionRecordId(const std::string& session_id) { return "session-" + session_id; }

Status OutboxSink::Append(const outbox::NewRecord& record) {
  auto appended = outbox_.Append(record);
  if (!appended.ok()) return appended.status();
  if (on_append_) on_append_();
  return Status::Ok();
}

Status OutboxSink::Write(const Decision& decision) {
  outbox::NewRecord r;
  r.item_id = decision.item_id;
  r.kind = outbox::RecordKind::kDeposit;
  r.machine_id = decision.machine_id;
  r.payload_json = DecisionToJson(decision).dump();
  r.evidence_jpeg =
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(decision.best_frame_jpeg.data()),
                               decision.best_frame_jpeg.size());
  return Append(r);
}

Status OutboxSink::WriteSessionSummary(const SessionSummary& summary) {
  outbox::NewRecord r;
  r.item_id = SessionRecordId(summary.session.session_id);
  r.kind = outbox::RecordKind::kSession;
  r.machine_id = summary.machine_id;
  r.payload_json = SessionSummaryToJson(summary).dump();
  return Append(r);
}

}  // namespace rvm::uplink
