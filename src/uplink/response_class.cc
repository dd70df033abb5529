#include "uplink/response_class.h"

#include <nlohmann/json.hpp>

#include "uplink/retry_after.h"

namespace rvm::uplink {
namespace {

constexpr size_t kMaxMessage = 500;

std::string Clip(std::string s) {
  if (s.size() > kMaxMessage) {
    s.resize(kMaxMessage);
    s += "...";
  }
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

}  // namespace

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kAck:
      return "ack";
    case Verdict::kReauth:
      return "reauth";
    case Verdict::kRetry:
      return "retry";
    case Verdict::kPark:
      return "park";
  }
  return "unknown";
}

bool IsJsonContentType(const std::string& content_type) {
  return content_type == "application/json" ||
         (content_type.size() > 5 && content_type.ends_with("+json"));
}

std::string ServerMessage(const HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) {
    if (response.body.empty()) return "";
    return Clip(
        "non-JSON body (" +
        (response.content_type.empty() ? std::string("no content type") : response.content_type) +
        "): " + response.body.substr(0, 120));
  }
  std::string out;
  if (auto it = body.find("message"); it != body.end() && it->is_string()) {
    out = it->get<std::string>();
  } else if (auto e = body.find("error"); e != body.end() && e->is_string()) {
    out = e->get<std::string>();
  }
  if (auto it = body.find("errors"); it != body.end()) {
    if (it->is_object()) {
      for (const auto& [field, msgs] : it->items()) {
        std::string first = msgs.is_array() && !msgs.empty() && msgs[0].is_string()
                                ? msgs[0].get<std::string>()
                                : msgs.dump();
        out += (out.empty() ? "" : "; ") + field + ": " + first;
      }
    } else if (it->is_array()) {
      for (const auto& m : *it) {
        out += (out.empty() ? "" : "; ") + (m.is_string() ? m.get<std::string>() : m.dump());
      }
    }
  }
  if (auto it = body.find("error_code"); it != body.end() && it->is_string()) {
    out += " [" + it->get<std::string>() + "]";
  }
  return Clip(out);
}

Classification Classify(const HttpResponse& response, int64_t now_wall_ms) {
  Classification c;
  const int s = response.status;
  if (s == 0) {
    c.verdict = Verdict::kRetry;
    c.message = "no response: " + response.transport_error;
    return c;
  }
  const std::string status_text = "HTTP " + std::to_string(s);
  if (s >= 200 && s < 300) {
    if (!IsJsonContentType(response.content_type)) {
      c.verdict = Verdict::kRetry;
      c.message = status_text + " with content type '" + response.content_type +
                  "', not JSON: not taken as the platform's acknowledgement";
      return c;
    }
    c.verdict = Verdict::kAck;
    const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    c.garbled_ack = response.body_truncated || body.is_discarded();
    return c;
  }
  const std::string server = ServerMessage(response);
  const std::string message = status_text + (server.empty() ? "" : ": " + server);
  if (s == 401) {
    c.verdict = Verdict::kReauth;
    c.message = message;
    return c;
  }
  if (s == 408 || s == 425 || s == 429 || s >= 500 || s == 403 || (s >= 300 && s < 400) ||
      s < 200) {
    c.verdict = Verdict::kRetry;
    c.message = message;
    if (auto ms = ParseRetryAfterMs(response.retry_after, now_wall_ms)) c.retry_after_ms = *ms;
    return c;
  }
  c.verdict = Verdict::kPark;
  c.message = message;
  return c;
}

}  // namespace rvm::uplink
