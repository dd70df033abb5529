// HttpClient: the uplink's HTTP connections to the platform, over libcurl.
//
// Every request runs on one curl multi handle, whose connection cache keeps
// the TCP (and TLS) connections open between requests (keep-alive); one is
// reopened only when the server closed it. A single request uses one pooled
// connection. PostMultipartWindow keeps up to `max_in_flight` requests in
// flight at once: over HTTP/1.1 each takes a pooled connection of its own (at
// most kMaxConnections are kept), over HTTP/2 (used where the server offers it
// over TLS) they share one connection as streams. TLS peer and host verification are always on;
// `ca_path` selects a CA bundle. Every request has a connect timeout and a total timeout, so a hung
// server costs at most `request_timeout_ms`. Response bodies are capped at
// `max_response_bytes`, so a server streaming garbage cannot exhaust memory.
// Failures to get any response are reported in HttpResponse (status 0), never
// as exceptions; curl's headers stay inside http_client.cc.
//
// Not thread-safe: one owner thread (the delivery thread) makes all calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "uplink/http_response.h"

namespace rvm::uplink {

struct HttpClientOptions {
  int connect_timeout_ms = 5000;            // TCP + TLS handshake limit, ms
  int request_timeout_ms = 15000;           // whole request limit, ms
  std::string ca_path;                      // CA bundle file; "" = system default
  size_t max_response_bytes = 1 << 20;      // longer bodies are cut (body_truncated)
  std::string user_agent = "rvm-edge/0.1";  // User-Agent header
  // Called after every request with its total time (ms) and whether it got
  // a usable answer (a response below 500); for metrics. Runs on the
  // client's thread and must be cheap.
  std::function<void(double ms, bool ok)> on_request;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One part of a multipart/form-data body: a text field, or a file when
// `filename` is set.
struct MultipartPart {
  std::string name;
  std::string data;
  std::string filename;      // non-empty: sent as a file part
  std::string content_type;  // for file parts, e.g. "image/jpeg"
};

// One multipart POST of a window (PostMultipartWindow).
struct MultipartRequest {
  std::string url;
  HttpHeaders headers;
  std::vector<MultipartPart> parts;
};

struct HttpClientStats {
  int64_t requests = 0;            // requests attempted
  int64_t connections_opened = 0;  // new TCP connections (CURLINFO_NUM_CONNECTS summed)
  int64_t transport_failures = 0;  // requests that got no response
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse PostJson(const std::string& url, const HttpHeaders& headers,
                        const std::string& json_body);
  HttpResponse PostMultipart(const std::string& url, const HttpHeaders& headers,
                             const std::vector<MultipartPart>& parts);
  HttpResponse Get(const std::string& url, const HttpHeaders& headers);

  // Most requests a window keeps in flight, and connections kept open.
  static constexpr int kMaxConnections = 16;

  // Sends `requests` in index order with a sliding window: request n starts
  // only once every request before n - max_in_flight + 1 has completed, so at
  // most `max_in_flight` (clamped to [1, kMaxConnections]) are in flight and
  // request n never goes out before request n - max_in_flight has its
  // response. As each completes, `done(index, response)` runs on the calling
  // thread (in completion order); once it returns false no further request
  // starts and those in flight are finished. Returns how many requests were
  // started: always a prefix of `requests`.
  size_t PostMultipartWindow(std::span<const MultipartRequest> requests, int max_in_flight,
                             const std::function<bool(size_t, HttpResponse&&)>& done);

  // Drops the pooled connections; the next request opens a new one.
  void ResetConnection();

  const HttpClientStats& stats() const { return stats_; }

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  HttpClientStats stats_;
};

}  // namespace rvm::uplink
