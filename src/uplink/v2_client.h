// V2Client: PlatformClient for the MyRVM v2 contract (platform-api.md part
// A, under /api/v2).
//
//   auth         POST /auth/login {email, password} -> bearer token (Sanctum
//                tokens never expire; a 401 means revoked: log in again once,
//                resend once, then report an auth failure).
//   Register     POST /rvm/self/claim with X-API-Key {rvm_id, device_name,
//                software_version}.
//   deposits     POST /upload (multipart: image, rvm_id, metadata[item_id],
//                metadata[session_id], metadata[status]) when the record has
//                its evidence, then POST /detection-results {rvm_id,
//                image_path (the upload's data.path, or "unavailable"),
//                detections: [{class, confidence, bbox}], timestamp,
//                item_id}; both with Idempotency-Key = item id. A retry after
//                the upload succeeded repeats it; the key makes it a duplicate.
//                One record at a time: v2 has no batch endpoint.
//   sessions     v2 has no transaction or offline-sync endpoint, and its
//                POST /deposits credits the device's own account with a
//                reward the server computes, without any dedupe, so replaying
//                a session through it could credit twice. A session summary is
//                therefore not sent under v2: it is marked delivered, skipped
//                (counted); its items have gone up one by one as detection
//                results. docs/uplink.md records this mapping.
//   Heartbeat    POST /rvms/{id}/metrics (no auth); v2 has no commands.
//
// Not thread-safe (see PlatformClient).
#pragma once

#include <functional>
#include <memory>

#include "uplink/http_client.h"
#include "uplink/platform_client.h"
#include "uplink/platform_client_options.h"

namespace rvm::uplink {

class V2Client final : public PlatformClient {
 public:
  static Result<std::unique_ptr<V2Client>> Create(PlatformClientOptions options,
                                                  const Clock& clock);

  Status Register() override;
  using PlatformClient::SendDeposits;
  // One record at a time whatever `max_in_flight` says: a deposit is an upload
  // and then a detection result that names the upload's path.
  std::vector<SendOutcome> SendDeposits(std::span<const OutgoingRecord> records,
                                        int max_in_flight) override;
  std::vector<SendOutcome> SendSessions(std::span<const OutgoingRecord> records) override;
  bool batches_sessions() const override { return false; }
  Result<HeartbeatReply> Heartbeat(const HeartbeatInfo& info) override;
  PlatformClientStats stats() const override;

 private:
  V2Client(PlatformClientOptions options, const Clock& clock, std::unique_ptr<HttpClient> http);
  Status LogIn();
  // Sends with the bearer token, logging in first when there is none and once
  // more on 401. `send` makes the request given the headers.
  HttpResponse WithAuth(const std::function<HttpResponse(const HttpHeaders&)>& send,
                        const std::string& item_id, bool* auth_failed);
  SendOutcome SendOneDeposit(const OutgoingRecord& r);
  std::string Url(const std::string& path) const { return options_.base_url + "/api/v2" + path; }

  const PlatformClientOptions options_;
  const Clock& clock_;
  std::unique_ptr<HttpClient> http_;
  std::string bearer_;
  int64_t logins_ = 0;
};

}  // namespace rvm::uplink
