// HttpClient: the uplink's one HTTP connection to the platform, over libcurl.
//
// One curl easy handle is reused for every request, so the TCP (and TLS)
// connection stays open between requests (keep-alive) and is reopened only
// when the server closed it; HTTP/2 is used where the server offers it over
// TLS. TLS peer and host verification are always on; `ca_path` selects a CA
// bundle. Every request has a connect timeout and a total timeout, so a hung
// server costs at most `request_timeout_ms`. Response bodies are capped at
// `max_response_bytes`, so a server streaming garbage cannot exhaust memory.
// Failures to get any response are reported in HttpResponse (status 0), never
// as exceptions; curl's headers stay inside http_client.cc.
//
// Not thread-safe: one owner thread (the delivery thread) makes all calls.
#pragma once

#include <cstdint>
#include <memory>
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

  // Drops the pooled connection; the next request opens a new one.
  void ResetConnection();

  const HttpClientStats& stats() const { return stats_; }

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  HttpClientStats stats_;
};

}  // namespace rvm::uplink
