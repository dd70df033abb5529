#include "uplink/outbox_sink.h"

#include "base/crash_point.h"

namespace rvm::uplink {

Result<std::vector<SessionSummary>> RecoverUnclosedSessions(outbox::Outbox& outbox) {
  auto records = outbox.DepositsOfUnclosedSessions();
  if (!records.ok()) return records.status();
  std::vector<nlohmann::json> decisions;
  decisions.reserve(records->size());
  for (const outbox::StoredRecord& r : *records) {
    decisions.push_back(nlohmann::json::parse(r.payload_json, nullptr, /*allow_exceptions=*/false));
  }
  return RecoverSessionSummaries(decisions);
}

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
  RVM_RETURN_IF_ERROR(Append(r));
  CrashPoint("decision_committed");
  return Status::Ok();
}

Status OutboxSink::WriteSessionSummary(const SessionSummary& summary) {
  outbox::NewRecord r;
  r.item_id = outbox::SessionRecordId(summary.session.session_id);
  r.kind = outbox::RecordKind::kSession;
  r.machine_id = summary.machine_id;
  r.payload_json = SessionSummaryToJson(summary).dump();
  RVM_RETURN_IF_ERROR(Append(r));
  CrashPoint("summary_committed");
  return Status::Ok();
}

}  // namespace rvm::uplink
