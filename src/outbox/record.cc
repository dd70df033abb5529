#include "outbox/record.h"

namespace rvm::outbox {

std::string_view RecordKindName(RecordKind kind) {
  return kind == RecordKind::kDeposit ? "deposit" : "session";
}

std::string_view RecordStateName(RecordState state) {
  switch (state) {
    case RecordState::kPending:
      return "pending";
    case RecordState::kDelivered:
      return "delivered";
    case RecordState::kParked:
      return "parked";
  }
  return "pending";
}

std::string_view EvidenceStateName(EvidenceState state) {
  switch (state) {
    case EvidenceState::kNone:
      return "none";
    case EvidenceState::kStored:
      return "stored";
    case EvidenceState::kDropped:
      return "dropped";
    case EvidenceState::kMissing:
      return "missing";
  }
  return "none";
}

Result<RecordKind> ParseRecordKind(std::string_view name) {
  if (name == "deposit") return RecordKind::kDeposit;
  if (name == "session") return RecordKind::kSession;
  return InvalidArgument("record kind '" + std::string(name) + "': expected deposit or session");
}

Result<RecordState> ParseRecordState(std::string_view name) {
  if (name == "pending") return RecordState::kPending;
  if (name == "delivered") return RecordState::kDelivered;
  if (name == "parked") return RecordState::kParked;
  return InvalidArgument("record state '" + std::string(name) +
                         "': expected pending, delivered or parked");
}

Result<EvidenceState> ParseEvidenceState(std::string_view name) {
  if (name == "none") return EvidenceState::kNone;
  if (name == "stored") return EvidenceState::kStored;
  if (name == "dropped") return EvidenceState::kDropped;
  if (name == "missing") return EvidenceState::kMissing;
  return InvalidArgument("evidence state '" + std::string(name) +
                         "': expected none, stored, dropped or missing");
}

Status ValidateNewRecord(const NewRecord& record) {
  const std::string& id = record.item_id;
  if (id.empty()) return InvalidArgument("record: item_id is empty");
  if (id.size() > 128) {
    return InvalidArgument("record '" + id.substr(0, 32) + "...': item_id is longer than 128");
  }
  if (id[0] == '.') return InvalidArgument("record '" + id + "': item_id starts with '.'");
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) {
      return InvalidArgument("record '" + id +
                             "': item_id may hold only letters, digits, '.', '-' and '_'");
    }
  }
  if (record.payload_json.empty()) return InvalidArgument("record '" + id + "': payload is empty");
  return Status::Ok();
}

std::string SessionRecordId(std::string_view session_id) {
  return std::string(kSessionRecordPrefix) + std::string(session_id);
}

}  // namespace rvm::outbox
