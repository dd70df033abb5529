// Response classification: what the uplink does with one platform response.
//
//   2xx, JSON object body, no failure -> ack (see below for what "no failure" means)
//   2xx with an empty, cut or non-object
//       JSON body                     -> retry (counted as garbled)
//   2xx whose body says it failed     -> retry ("status":"error" or "success":false,
//                                        the failure shapes of both contracts)
//   2xx other than the one expected   -> retry (a 200 where the platform answers a
//                                        stored record with 201)
//   2xx whose body names another item -> retry (it contradicts the request)
//   2xx with any other content type   -> retry (see below)
//   401                               -> re-authenticate once, then retry
//   403                               -> retry slowly (machine blocked or not
//                                        authorised: an operator must act; the
//                                        record is money and is never dropped)
//   408, 425, 429, 5xx, no response   -> retry (429/503 honour Retry-After)
//   3xx                               -> retry (redirects are never followed: a
//                                        redirect, to this host or another, means
//                                        a proxy or a missing Accept header, not a
//                                        verdict)
//   other 4xx (400, 404, 413, 422...) -> park with the server's message
//
// Only a response that says the record was stored is an acknowledgement: a
// record is marked delivered on nothing less. Every doubtful 2xx is retried,
// never parked, because the record may well have been stored: the retry
// carries the same idempotency key, so a platform that deduplicates stores
// it once (docs/uplink.md). A 2xx that is not JSON at all (an HTML page)
// comes from something in front of the platform (a captive portal, a proxy
// error page). A hung connection ends at uplink.request_timeout_ms with no
// response, and is retried. The client never loops without a backoff.
//
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "uplink/http_response.h"

namespace rvm::uplink {

enum class Verdict {
  kAck,     // the platform stored the record
  kReauth,  // the credentials were refused: log in again, then retry
  kRetry,   // try again later with backoff
  kPark,    // the platform refused the record for good
};

const char* VerdictName(Verdict v);

struct Classification {
  Verdict verdict = Verdict::kRetry;
  // For retry and park: what went wrong, with the server's message when it sent one.
  std::string message;
  int64_t retry_after_ms = -1;  // >= 0 when the server asked for a delay
  bool garbled_ack = false;     // a 2xx whose JSON body did not parse: retried (counted)
};

// What one request needs to see in a 2xx to count its record as stored.
struct AckExpectation {
  int status = 0;  // the 2xx the platform answers a stored record with; 0 = any 2xx
  // The item the request carried; a body naming another one (item_id at the
  // top, in data, or in data.ai_result) contradicts the request. "" = no check.
  std::string item_id;
};

// `now_wall_ms` resolves a Retry-After HTTP-date.
Classification Classify(const HttpResponse& response, int64_t now_wall_ms,
                        const AckExpectation& expect = {});

// The server's explanation in a JSON error body: "message", then the first
// message of each field in "errors" (Laravel's validation shape), or a short
// prefix of a non-JSON body. Never longer than ~500 characters.
std::string ServerMessage(const HttpResponse& response);

// True when the content type is JSON (application/json or +json).
bool IsJsonContentType(const std::string& content_type);

}  // namespace rvm::uplink
