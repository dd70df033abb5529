#include "uplink/response_class.h"

#include <nlohmann/json.hpp>

#include <optional>

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

namespace {

// The item id a response body names, if any: at the top, in data, or in
// data.ai_result (edge v1's deposit echoes the data it parsed there).
std::optional<std::string> NamedItemId(const nlohmann::json& body) {
  const nlohmann::json* places[] = {&body, nullptr, nullptr};
  if (auto d = body.find("data"); d != body.end() && d->is_object()) {
    places[1] = &*d;
    if (auto a = d->find("ai_result"); a != d->end() && a->is_object()) places[2] = &*a;
  }
  for (const nlohmann::json* p : places) {
    if (p == nullptr) continue;
    if (auto it = p->find("item_id"); it != p->end() && it->is_string()) {
      return it->get<std::string>();
    }
  }
  return std::nullopt;
}

}  // namespace

Classification Classify(const HttpResponse& response, int64_t now_wall_ms,
                        const AckExpectation& expect) {
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
    const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    c.verdict = Verdict::kRetry;
    if (response.body_truncated || body.is_discarded() || !body.is_object()) {
      c.garbled_ack = true;
      c.message = status_text + (response.body.empty() ? " with an empty body"
                                                       : " with a body that is not a JSON object") +
                  ": not taken as the platform's acknowledgement";
      return c;
    }
    const auto st = body.find("status");
    const auto success = body.find("success");
    if ((st != body.end() && st->is_string() && st->get<std::string>() == "error") ||
        (success != body.end() && success->is_boolean() && !success->get<bool>())) {
      const std::string server = ServerMessage(response);
      c.message = status_text + " whose body says the request failed" +
                  (server.empty() ? "" : ": " + server);
      return c;
    }
    if (expect.status != 0 && s != expect.status) {
      c.message = status_text + " where the platform answers a stored record with " +
                  std::to_string(expect.status) + ": not taken as the platform's acknowledgement";
      return c;
    }
    if (!expect.item_id.empty()) {
      if (auto named = NamedItemId(body); named && *named != expect.item_id) {
        c.message = status_text + " naming item '" + Clip(*named) + "', not '" + expect.item_id +
                    "': the answer contradicts the request";
        return c;
      }
    }
    c.verdict = Verdict::kAck;
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
