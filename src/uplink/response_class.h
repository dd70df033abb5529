// Response classification: what the uplink does with one platform response.
//
//   2xx with a JSON content type      -> ack, even when the body does not parse
//   2xx with any other content type   -> retry (see below)
//   401                               -> re-authenticate once, then retry
//   403                               -> retry slowly (machine blocked or not
//                                        authorised: an operator must act; the
//                                        record is money and is never dropped)
//   408, 425, 429, 5xx, no response   -> retry (429/503 honour Retry-After)
//   3xx                               -> retry (a redirect means a proxy or a
//                                        missing Accept header, not a verdict)
//   other 4xx (400, 404, 413, 422...) -> park with the server's message
//
// Why a 2xx with a garbled JSON body is an ack: the platform's handlers
// produce their JSON after the record is stored, so a body cut short in
// transit still follows a stored record; retrying would only create a
// duplicate (which the idempotency key absorbs, but it costs a request).
// A 2xx that is not JSON at all (an HTML page) comes from something in front
// of the platform (a captive portal, a proxy error page), so the record may
// never have reached it: retry, and the idempotency key absorbs the repeat if
// it did. Either way the client never loops without a backoff.
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
  bool garbled_ack = false;     // a 2xx whose JSON body did not parse (counted)
};

// `now_wall_ms` resolves a Retry-After HTTP-date.
Classification Classify(const HttpResponse& response, int64_t now_wall_ms);

// The server's explanation in a JSON error body: "message", then the first
// message of each field in "errors" (Laravel's validation shape), or a short
// prefix of a non-JSON body. Never longer than ~500 characters.
std::string ServerMessage(const HttpResponse& response);

// True when the content type is JSON (application/json or +json).
bool IsJsonContentType(const std::string& content_type);

}  // namespace rvm::uplink
