// HttpResponse: what one HTTP exchange produced, as plain values. Status 0
// means no response arrived (connection refused or reset, timeout, TLS
// failure); `transport_error` then says why. Safe to copy between threads.
#pragma once

#include <string>

namespace rvm::uplink {

struct HttpResponse {
  int status = 0;               // HTTP status code; 0 = no response
  std::string transport_error;  // why no response arrived, else empty
  std::string content_type;     // the Content-Type header, lower-cased, without parameters
  std::string retry_after;      // the Retry-After header as sent, or empty
  std::string body;             // at most HttpClientOptions::max_response_bytes
  bool body_truncated = false;  // the body was longer and was cut
};

}  // namespace rvm::uplink
