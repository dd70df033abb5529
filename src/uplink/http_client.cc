#include "uplink/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

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

struct HttpClient::Impl {
  HttpClientOptions options;
  CURL* easy = nullptr;
  ~Impl() {
    if (easy) curl_easy_cleanup(easy);
  }
};

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options) {
  GlobalInitOnce();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->easy = curl_easy_init();
  if (!impl->easy) return Internal("http client: curl_easy_init failed");
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

void HttpClient::ResetConnection() {
  if (impl_->easy) curl_easy_cleanup(impl_->easy);
  impl_->easy = curl_easy_init();
}

namespace {

// Sets what every request shares; curl_easy_reset keeps the connection cache.
void SetCommon(CURL* easy, const HttpClientOptions& o, const std::string& url, curl_slist* headers,
               HttpResponse* response, Sink* sink, char* error_buffer) {
  curl_easy_reset(easy);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(o.request_timeout_ms));
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_path.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, o.ca_path.c_str());
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, sink);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, response);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
}

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

}  // namespace

namespace {

// Runs the transfer already set up on `easy` and fills `response`.
void Perform(CURL* easy, HttpResponse& response, const char* error_buffer, HttpClientStats& stats) {
  ++stats.requests;
  const CURLcode rc = curl_easy_perform(easy);
  long connects = 0;
  if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK) {
    stats.connections_opened += connects;
  }
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  if (rc == CURLE_WRITE_ERROR && response.body_truncated && code > 0) {
    response.status = static_cast<int>(code);  // a complete status with a body past the cap
    return;
  }
  if (rc != CURLE_OK) {
    response.status = 0;
    response.transport_error = std::string(curl_easy_strerror(rc)) +
                               (error_buffer[0] ? std::string(" (") + error_buffer + ")" : "");
    ++stats.transport_failures;
    return;
  }
  response.status = static_cast<int>(code);
}

}  // namespace

HttpResponse HttpClient::PostJson(const std::string& url, const HttpHeaders& headers,
                                  const std::string& json_body) {
  HttpResponse response;
  Sink sink{&response, impl_->options.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_slist* list = BuildHeaders(headers, "Content-Type: application/json");
  SetCommon(impl_->easy, impl_->options, url, list, &response, &sink, error_buffer);
  curl_easy_setopt(impl_->easy, CURLOPT_POST, 1L);
  curl_easy_setopt(impl_->easy, CURLOPT_POSTFIELDS, json_body.data());
  curl_easy_setopt(impl_->easy, CURLOPT_POSTFIELDSIZE_LARGE,
                   static_cast<curl_off_t>(json_body.size()));
  Perform(impl_->easy, response, error_buffer, stats_);
  curl_slist_free_all(list);
  return response;
}

HttpResponse HttpClient::PostMultipart(const std::string& url, const HttpHeaders& headers,
                                       const std::vector<MultipartPart>& parts) {
  HttpResponse response;
  Sink sink{&response, impl_->options.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_slist* list = BuildHeaders(headers, nullptr);
  SetCommon(impl_->easy, impl_->options, url, list, &response, &sink, error_buffer);
  curl_mime* mime = curl_mime_init(impl_->easy);
  for (const auto& part : parts) {
    curl_mimepart* p = curl_mime_addpart(mime);
    curl_mime_name(p, part.name.c_str());
    curl_mime_data(p, part.data.data(), part.data.size());
    if (!part.filename.empty()) curl_mime_filename(p, part.filename.c_str());
    if (!part.content_type.empty()) curl_mime_type(p, part.content_type.c_str());
  }
  curl_easy_setopt(impl_->easy, CURLOPT_MIMEPOST, mime);
  Perform(impl_->easy, response, error_buffer, stats_);
  curl_easy_setopt(impl_->easy, CURLOPT_MIMEPOST, nullptr);
  curl_mime_free(mime);
  curl_slist_free_all(list);
  return response;
}

HttpResponse HttpClient::Get(const std::string& url, const HttpHeaders& headers) {
  HttpResponse response;
  Sink sink{&response, impl_->options.max_response_bytes};
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_slist* list = BuildHeaders(headers, nullptr);
  SetCommon(impl_->easy, impl_->options, url, list, &response, &sink, error_buffer);
  curl_easy_setopt(impl_->easy, CURLOPT_HTTPGET, 1L);
  Perform(impl_->easy, response, error_buffer, stats_);
  curl_slist_free_all(list);
  return response;
}

}  // namespace rvm::uplink
