// Records: what the outbox stores. A NewRecord is what the machine appends
// once it has decided an item; a StoredRecord is a row read back, with its
// delivery state. Plain values, safe to copy between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rvm::outbox {

enum class RecordKind {
  kDeposit,  // one decided item (accepted or rejected)
  kSession,  // a transaction summary closing a user's session
};

enum class RecordState {
  kPending,    // waiting for (re)delivery
  kDelivered,  // the platform acknowledged it
  kParked,     // the platform refused it for good; kept for an operator to replay
};

enum class EvidenceState {
  kNone,     // the record was appended without an image
  kStored,   // the image is in the spool
  kDropped,  // removed to stay within the byte quota (or could not be written)
  kMissing,  // the file was gone when the outbox was opened
};

std::string_view RecordKindName(RecordKind kind);
std::string_view RecordStateName(RecordState state);
std::string_view EvidenceStateName(EvidenceState state);
Result<RecordKind> ParseRecordKind(std::string_view name);
Result<RecordState> ParseRecordState(std::string_view name);
Result<EvidenceState> ParseEvidenceState(std::string_view name);

struct NewRecord {
  // Idempotency key minted when the item was decided; at most 128 characters
  // of [A-Za-z0-9._-], not starting with '.', since it also names the image.
  std::string item_id;
  RecordKind kind = RecordKind::kDeposit;
  std::string machine_id;
  // The record as the uplink will send it, a JSON document.
  std::string payload_json;
  // JPEG bytes of the evidence image, or empty. Not owned: Append blocks until
  // the record is durable, so the caller's buffer only needs to outlive it.
  std::span<const uint8_t> evidence_jpeg;
};

// The outbox id of a session's summary record: "session-" + session_id. One
// summary per session: the id makes a second append of it a no-op.
inline constexpr std::string_view kSessionRecordPrefix = "session-";
std::string SessionRecordId(std::string_view session_id);

// Checks the fields a caller controls; the message names the item and the field.
Status ValidateNewRecord(const NewRecord& record);

struct StoredRecord {
  int64_t seq = 0;  // position in the outbox; increases with every new record
  std::string item_id;
  RecordKind kind = RecordKind::kDeposit;
  std::string machine_id;
  int64_t created_ms = 0;  // wall clock when appended, ms since the Unix epoch
  std::string payload_json;
  EvidenceState evidence = EvidenceState::kNone;
  std::string evidence_file;  // name inside the spool directory, empty when none
  int64_t evidence_bytes = 0;
  std::string evidence_sha256;  // lowercase hex
  RecordState state = RecordState::kPending;
  int64_t attempts = 0;         // delivery attempts so far
  int64_t next_attempt_ms = 0;  // not offered for delivery before this wall time
  std::string last_error;
  int64_t delivered_ms = 0;  // 0 until delivered
};

}  // namespace rvm::outbox
