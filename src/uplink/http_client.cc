#include "uplink/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

namespace rvm::uplink {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string TrimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

struct Sink {
  HttpResponse* response;
  size_t limit;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * nmemb;
  std::string& body = sink->response->body;
  if (body.size() + n > sink->limit) {
    body.append(data, sink->limit - body.size());
    sink->response->body_truncated = true;
    return 0;  // aborts the transfer: a body past the cap is not worth reading
  }
  body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const size_t n = size * nmemb;
  std::string line(data, n);
  // A new status line (after a 100 Continue or a redirect) starts a new header set.
  if (line.rfind("HTTP/", 0) == 0) {
    response->content_type.clear();
    response->retry_after.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string::npos) return n;
  const std::string name = Lower(TrimSpace(line.substr(0, colon)));
  std::string value = TrimSpace(line.substr(colon + 1));
  if (name == "content-type") {
    value = Lower(value);
    if (size_t semi = value.find(';'); semi != std::string::npos) value.resize(semi);
    response->content_type = TrimSpace(value);
  } else if (name == "retry-after") {
    response->retry_after = value;
  }
  return n;
}

}  // namespace

// One request on its way: an easy handle with everything curl reads from
// while the transfer runs. Heap-allocated so its address stays fixed.
struct Transfer {
  CURL* easy = nullptr;
  size_t index = 0;
  HttpResponse response;
  Sink sink{nullptr, 0};
  curl_slist* headers = nullptr;
  curl_mime* mime = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

struct HttpClient::Impl {
  HttpClientOptions options;
  CURLM* multi = nullptr;
  std::vector<CURL*> idle;  // easy handles between requests

  ~Impl() { Close(); }

  bool Open() {
    multi = curl_multi_init();
    if (!multi) return false;
    // The cache holds the connections a full window opened, so the next
    // window finds them open.
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(kMaxConnections));
    return true;
  }
  void Close() {
    for (CURL* e : idle) curl_easy_cleanup(e);
    idle.clear();
    if (multi) curl_multi_cleanup(multi);
    multi = nullptr;
  }

  std::unique_ptr<Transfer> NewTransfer(size_t index, const std::string& url,
                                        const HttpHeaders& headers, const char* content_type);
  void Release(Transfer& t);
  // Runs `count` transfers made by `make(i)` through the window; see
  // PostMultipartWindow.
  size_t Run(size_t count, int max_in_flight,
             const std::function<std::unique_ptr<Transfer>(size_t)>& make,
             const std::function<bool(size_t, HttpResponse&&)>& done, HttpClientStats& stats);
};

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  GlobalInitOnce();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  if (!impl->Open()) return Internal("http client: curl_multi_init failed");
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

void HttpClient::ResetConnection() {
  impl_->Close();
  impl_->Open();
}

namespace {

curl_slist* BuildHeaders(const HttpHeaders& headers, const char* content_type) {
  curl_slist* list = nullptr;
  // No "Expect: 100-continue": it costs a round trip per upload.
  list = curl_slist_append(list, "Expect:");
  if (content_type) list = curl_slist_append(list, content_type);
  for (const auto& [name, value] : headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  return list;
}

// Fills the transfer's response once curl finished it with `rc`.
void Finish(Transfer& t, CURLcode rc, HttpClientStats& stats) {
  long connects = 0;
  if (curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    stats.connections_opened += connects;
  }
  long code = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &code);
  HttpResponse& response = t.response;
  if (rc == CURLE_WRITE_ERROR && response.body_truncated && code > 0) {
    response.status = static_cast<int>(code);  // a complete status with a body past the cap
    return;
  }
  if (rc != CURLE_OK) {
    response.status = 0;
    response.transport_error = std::string(curl_easy_strerror(rc)) +
                               (t.error_buffer[0] ? std::string(" (") + t.error_buffer + ")" : "");
    ++stats.transport_failures;
    return;
  }
  response.status = static_cast<int>(code);
}

}  // namespace

// Sets what every request shares; curl_easy_reset leaves the multi handle's
// connection cache alone.
std::unique_ptr<Transfer> HttpClient::Impl::NewTransfer(size_t index, const std::string& url,
                                                        const HttpHeaders& headers,
                                                        const char* content_type) {
  auto t = std::make_unique<Transfer>();
  if (!idle.empty()) {
    t->easy = idle.back();
    idle.pop_back();
    curl_easy_reset(t->easy);
  } else {
    t->easy = curl_easy_init();
  }
  if (!t->easy) return nullptr;
  t->index = index;
  t->sink = Sink{&t->response, options.max_response_bytes};
  t->headers = BuildHeaders(headers, content_type);
  CURL* easy = t->easy;
  const HttpClientOptions& o = options;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.request_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  // Over HTTP/2 a window's requests wait for the one connection's streams
  // rather than open more connections.
  curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_path.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, o.ca_path.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t->sink);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &t->response);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
  return t;
}

void HttpClient::Impl::Release(Transfer& t) {
  curl_easy_setopt(t.easy, CURLOPT_MIMEPOST, nullptr);
  if (t.mime) curl_mime_free(t.mime);
  curl_slist_free_all(t.headers);
  t.mime = nullptr;
  t.headers = nullptr;
  idle.push_back(t.easy);
  t.easy = nullptr;
}

size_t HttpClient::Impl::Run(size_t count, int max_in_flight,
                             const std::function<std::unique_ptr<Transfer>(size_t)>& make,
                             const std::function<bool(size_t, HttpResponse&&)>& done,
                             HttpClientStats& stats) {
  const size_t window = static_cast<size_t>(std::clamp(max_in_flight, 1, kMaxConnections));
  std::vector<std::unique_ptr<Transfer>> in_flight;
  std::vector<bool> completed(count, false);
  size_t next = 0;  // the next request to start
  size_t base = 0;  // the lowest request without its response
  bool stop = false;
  while (true) {
    while (!stop && next < count && next < base + window) {
      std::unique_ptr<Transfer> t = make(next);
      ++stats.requests;
      if (!t || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
        HttpResponse failed;
        failed.transport_error = "http client: cannot start the request";
        ++stats.transport_failures;
        if (t) Release(*t);
        completed[next] = true;
        while (base < count && completed[base]) ++base;
        stop = !done(next++, std::move(failed));
        continue;
      }
      ++next;
      in_flight.push_back(std::move(t));
    }
    if (in_flight.empty()) break;
    int running = 0;
    curl_multi_perform(multi, &running);
    bool finished_any = false;
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      const CURLcode rc = msg->data.result;
      curl_multi_remove_handle(multi, easy);
      auto it = std::find_if(in_flight.begin(), in_flight.end(),
                             [&](const auto& t) { return t->easy == easy; });
      if (it == in_flight.end()) continue;
      std::unique_ptr<Transfer> t = std::move(*it);
      in_flight.erase(it);
      Finish(*t, rc, stats);
      if (options.on_request) {
        curl_off_t total_us = 0;
        curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
        const HttpResponse& r = t->response;
        options.on_request(static_cast<double>(total_us) / 1000.0,
                           r.transport_error.empty() && r.status > 0 && r.status < 500);
      }
      Release(*t);
      completed[t->index] = true;
      while (base < count && completed[base]) ++base;
      finished_any = true;
      if (!done(t->index, std::move(t->response))) stop = true;
    }
    if (!finished_any && !in_flight.empty()) {
      curl_multi_poll(multi, nullptr, 0, 100, nullptr);
    }
  }
  return next;
}

HttpResponse HttpClient::PostJson(const std::string& url, const HttpHeaders& headers,
                                  const std::string& json_body) {
  HttpResponse out;
  impl_->Run(
      1, 1,
      [&](size_t i) {
        auto t = impl_->NewTransfer(i, url, headers, "Content-Type: application/json");
        if (!t) return t;
        curl_easy_setopt(t->easy, CURLOPT_POST, 1L);
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, json_body.data());
        curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(json_body.size()));
        return t;
      },
      [&](size_t, HttpResponse&& r) {
        out = std::move(r);
        return true;
      },
      stats_);
  return out;
}

namespace {

curl_mime* BuildMime(CURL* easy, const std::vector<MultipartPart>& parts) {
  curl_mime* mime = curl_mime_init(easy);
  for (const auto& part : parts) {
    curl_mimepart* p = curl_mime_addpart(mime);
    curl_mime_name(p, part.name.c_str());
    curl_mime_data(p, part.data.data(), part.data.size());
    if (!part.filename.empty()) curl_mime_filename(p, part.filename.c_str());
    if (!part.content_type.empty()) curl_mime_type(p, part.content_type.c_str());
  }
  return mime;
}

}  // namespace

HttpResponse HttpClient::PostMultipart(const std::string& url, const HttpHeaders& headers,
                                       const std::vector<MultipartPart>& parts) {
  const MultipartRequest request{url, headers, parts};
  HttpResponse out;
  PostMultipartWindow({&request, 1}, 1, [&](size_t, HttpResponse&& r) {
    out = std::move(r);
    return true;
  });
  return out;
}

size_t HttpClient::PostMultipartWindow(std::span<const MultipartRequest> requests,
                                       int max_in_flight,
                                       const std::function<bool(size_t, HttpResponse&&)>& done) {
  return impl_->Run(
      requests.size(), max_in_flight,
      [&](size_t i) {
        const MultipartRequest& r = requests[i];
        auto t = impl_->NewTransfer(i, r.url, r.headers, nullptr);
        if (!t) return t;
        t->mime = BuildMime(t->easy, r.parts);
        curl_easy_setopt(t->easy, CURLOPT_MIMEPOST, t->mime);
        return t;
      },
      done, stats_);
}

HttpResponse HttpClient::Get(const std::string& url, const HttpHeaders& headers) {
  HttpResponse out;
  impl_->Run(
      1, 1,
      [&](size_t i) {
        auto t = impl_->NewTransfer(i, url, headers, nullptr);
        if (t) curl_easy_setopt(t->easy, CURLOPT_HTTPGET, 1L);
        return t;
      },
      [&](size_t, HttpResponse&& r) {
        out = std::move(r);
        return true;
      },
      stats_);
  return out;
}

}  // namespace rvm::uplink
