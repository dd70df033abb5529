// PlatformClient: the uplink's view of the MyRVM platform, one interface over
// the two device contracts in platform-api.md (EdgeV1Client, V2Client).
//
// Records come from the outbox as they were appended: a deposit's payload is
// the Decision JSON (deposit/decision.h) with its evidence JPEG beside it; a
// session's payload is the SessionSummary JSON (deposit/session.h). Each
// adapter maps them onto its contract's endpoints and sends the record's item
// id as the idempotency key (Idempotency-Key header and inside the payload).
//
// Every send reports one SendOutcome per record, in order. An adapter stops at
// the first record that must be retried (the platform is probably down) and
// reports the rest as kNotSent, so the caller keeps them in order. Adapters
// never throw and never sleep: waiting and retry policy belong to the caller
// (DeliveryService).
//
// Not thread-safe: one thread (the delivery thread) owns a client.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "outbox/record.h"

namespace rvm::uplink {

// A record to send with its evidence image (empty when it has none).
struct OutgoingRecord {
  const outbox::StoredRecord* record = nullptr;
  std::vector<uint8_t> evidence_jpeg;
};

enum class OutcomeKind {
  kDelivered,  // the platform acknowledged it (or, by contract, nothing is to be sent)
  kRetry,      // not delivered; try again after a backoff
  kPark,       // the platform refused it for good; `message` says why
  kNotSent,    // not attempted, because an earlier record must be retried
};

struct SendOutcome {
  OutcomeKind kind = OutcomeKind::kNotSent;
  std::string message;          // retry and park: the reason, with the server's message
  int64_t retry_after_ms = -1;  // retry: the server's Retry-After, when sent
  bool auth_failure = false;    // retry: the credentials were refused after a fresh login
  bool garbled_ack = false;     // a 2xx whose body did not parse (retried, counted)
  bool skipped = false;         // delivered without a request (nothing the contract takes)
};

// `health` names host figures as edge v1 does (cpu_usage_percent,
// memory_usage_percent, disk_usage_percent, gpu_usage_percent,
// cpu_temperature). Edge v1 sends the object as it is; v2 maps those, plus
// uptime_s and items_decided, onto the metrics fields its server stores.
struct HeartbeatInfo {
  std::string version;                                       // software version
  int bin_capacity = 0;                                      // percent 0..100
  nlohmann::json health;                                     // health metrics object, or null
  nlohmann::json command_results = nlohmann::json::array();  // results of earlier commands
};

struct HeartbeatReply {
  nlohmann::json commands = nlohmann::json::array();  // edge v1 commands, at most once each
  std::string server_time;
  // The platform answered 403: the machine is provisioned but not authorised
  // (edge v1 master without a technician assignment, a blocked machine). Not
  // an outage; nothing was stored and no commands came. `message` says why.
  bool not_authorised = false;
  std::string message;
};

struct PlatformClientStats {
  int64_t api_calls = 0;           // HTTP requests made to the platform
  int64_t connections_opened = 0;  // TCP connections opened
  int64_t logins = 0;              // bearer logins (v2, edge v1 bearer sync)
};

class PlatformClient {
 public:
  virtual ~PlatformClient() = default;

  // Registers the machine with the platform (edge v1 handshake; v2 self-claim).
  // Safe to repeat.
  virtual Status Register() = 0;
  // Deposits, one request per record (neither contract has a deposit batch
  // endpoint), over the pooled connections, sent in order with up to
  // `max_in_flight` requests in flight where the adapter can overlap them:
  // record n goes out only once record n - max_in_flight has its answer.
  // After the first record that must be retried, later records report only a
  // final outcome (kDelivered or kPark, when their answer came while the
  // window was open) and otherwise kNotSent.
  virtual std::vector<SendOutcome> SendDeposits(std::span<const OutgoingRecord> records,
                                                int max_in_flight) = 0;
  // One request at a time.
  std::vector<SendOutcome> SendDeposits(std::span<const OutgoingRecord> records) {
    return SendDeposits(records, 1);
  }
  // Session summaries, batched where the contract has a batch endpoint.
  virtual std::vector<SendOutcome> SendSessions(std::span<const OutgoingRecord> records) = 0;
  // True when SendSessions sends several records in one request.
  virtual bool batches_sessions() const = 0;
  virtual Result<HeartbeatReply> Heartbeat(const HeartbeatInfo& info) = 0;
  virtual PlatformClientStats stats() const = 0;
};

}  // namespace rvm::uplink
