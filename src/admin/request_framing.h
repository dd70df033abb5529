// Request framing for the admin listener: decides from the bytes received so
// far whether one whole HTTP/1.1 request (head and, by Content-Length, body)
// has arrived, without handing a socket to a worker thread first. The
// listener reads every connection itself and gives a worker only a complete
// request, so a client that sends slowly or not at all never holds a worker.
// Pure functions over strings; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace rvm::admin {

struct FramingLimits {
  size_t max_head_bytes = 16 * 1024;  // request line and headers
  size_t max_body_bytes = 64 * 1024;  // the JSON bodies of the admin API are a few bytes
};

struct RequestFrame {
  enum class Kind {
    kIncomplete,  // more bytes are needed
    kComplete,    // the first `size` bytes are one request
    kRefused,     // answer `status` with `reason` and close
  };
  Kind kind = Kind::kIncomplete;
  size_t size = 0;
  // Path of the request target without the query ("/healthz"); set once the
  // request line has arrived.
  std::string path;
  // The head is complete, a body is still due and the client asked for
  // `Expect: 100-continue`: it waits for an interim answer before sending it.
  bool expects_continue = false;
  int status = 0;
  std::string reason;
};

// Frames the request at the start of `buffered`. Requests with a
// Transfer-Encoding (chunked bodies) are refused with 501: nothing of the
// admin API needs one, and a Content-Length is what lets the listener bound
// the body before it is read.
RequestFrame FrameRequest(std::string_view buffered, const FramingLimits& limits);

}  // namespace rvm::admin
