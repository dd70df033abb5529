// EdgeV1Client: PlatformClient for the edge v1 contract (platform-api.md
// part B, under /api/v1).
//
//   Register     POST /edge/handshake (X-RVM-API-KEY), safe to repeat.
//   deposits     POST /edge/deposit, multipart: image (the evidence JPEG, or a
//                placeholder when the outbox no longer has it), data (the
//                Decision JSON, with item_id), status (ACCEPTED|REJECTED),
//                session_id; one request per record (no batch endpoint), up
//                to `max_in_flight` of them in flight (HttpClient's sliding
//                window); a record after the first one to retry keeps only a
//                final outcome (acknowledged or refused), the rest are kNotSent.
//   sessions     POST /edge/sync-offline {transactions: [...]}, up to a batch
//                of summaries per request. Variant by flag: the machine key
//                (master), or a bearer token plus X-RVM-Machine-ID
//                (dev-server; logs in via POST /login when it has no token and
//                once more on 401). A session without accepted items is not
//                sent (the platform rejects an empty `items`): it counts as
//                delivered, skipped. Rows the server reports in `errors[]`
//                (unknown user) are parked with that message, never taken as
//                synced (TieSyncErrors below); an error that names no row
//                sent, or a synced_count that disagrees, parks the whole
//                batch; a 422 naming `transactions.N` parks row N and
//                retries the others at once.
//   Heartbeat    POST /edge/heartbeat; returns the commands.
//
// Every request sends Accept: application/json and the Idempotency-Key header
// (the item id; sync-offline rows carry their session_id instead). A 401 on
// the machine key means the key was rotated: reported as a retry with
// auth_failure set (the record stays; an operator must re-provision).
//
// Not thread-safe (see PlatformClient).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "uplink/http_client.h"
#include "uplink/platform_client.h"
#include "uplink/platform_client_options.h"

namespace rvm::uplink {

// Which rows of a sync-offline batch the errors[] of a 200 name. The contract
// says an unknown user_id is skipped and reported there but not in what words
// (platform-api.md B3.4), so an error is tied to the row whose session_id it
// contains as a whole word, else to every row whose user_id it writes as a
// whole number ("User not found: -1"). Pure.
struct SyncErrorTies {
  std::vector<std::string> error_of;  // per row: the error naming it, "" = none
  std::vector<std::string> untied;    // errors naming no row
};
SyncErrorTies TieSyncErrors(const std::vector<std::string>& errors,
                            const std::vector<std::string>& session_ids,
                            const std::vector<int64_t>& user_ids);

class EdgeV1Client final : public PlatformClient {
 public:
  static Result<std::unique_ptr<EdgeV1Client>> Create(PlatformClientOptions options,
                                                      const Clock& clock);

  Status Register() override;
  using PlatformClient::SendDeposits;
  std::vector<SendOutcome> SendDeposits(std::span<const OutgoingRecord> records,
                                        int max_in_flight) override;
  std::vector<SendOutcome> SendSessions(std::span<const OutgoingRecord> records) override;
  bool batches_sessions() const override { return true; }
  Result<HeartbeatReply> Heartbeat(const HeartbeatInfo& info) override;
  PlatformClientStats stats() const override;

 private:
  EdgeV1Client(PlatformClientOptions options, const Clock& clock, std::unique_ptr<HttpClient> http);
  HttpHeaders KeyHeaders() const;
  // Fills `request` with the record's POST /edge/deposit; or returns the
  // outcome when the record cannot be sent at all (a payload that is not JSON).
  std::optional<SendOutcome> BuildDeposit(const OutgoingRecord& r, MultipartRequest& request) const;
  // Sends one sync-offline request; fills `out` for the rows at `rows`.
  void SendSyncBatch(std::span<const OutgoingRecord> records, const std::vector<size_t>& rows,
                     const std::vector<nlohmann::json>& transactions,
                     std::vector<SendOutcome>& out);
  Status LogIn();
  std::string Url(const std::string& path) const { return options_.base_url + "/api/v1" + path; }

  const PlatformClientOptions options_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::string bearer_;  // edge v1 user token for the bearer sync-offline variant
  int64_t logins_ = 0;
};

}  // namespace rvm::uplink
