#include "uplink/edge_v1_client.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "uplink/placeholder_jpeg.h"
#include "uplink/response_class.h"

namespace rvm::uplink {
namespace {

using nlohmann::json;

SendOutcome FromClassification(const Classification& c) {
  SendOutcome o;
  switch (c.verdict) {
    case Verdict::kAck:
      o.kind = OutcomeKind::kDelivered;
      break;
    case Verdict::kPark:
      o.kind = OutcomeKind::kPark;
      break;
    case Verdict::kReauth:
      o.kind = OutcomeKind::kRetry;
      o.auth_failure = true;
      break;
    case Verdict::kRetry:
      o.kind = OutcomeKind::kRetry;
      break;
  }
  o.garbled_ack = c.garbled_ack;
  o.message = c.message;
  o.retry_after_ms = c.retry_after_ms;
  return o;
}

bool WordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// True when `text` holds `word` with no word character right before or after it.
bool NamesWord(const std::string& text, const std::string& word) {
  for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const size_t end = at + word.size();
    if ((at == 0 || !WordChar(text[at - 1])) && (end == text.size() || !WordChar(text[end]))) {
      return true;
    }
  }
  return false;
}

// The whole numbers written in `text` ("User not found: -1" -> {-1}).
std::vector<int64_t> NumbersIn(const std::string& text) {
  std::vector<int64_t> out;
  auto digit = [&](size_t i) {
    return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]));
  };
  for (size_t i = 0; i < text.size();) {
    const bool minus = text[i] == '-' && digit(i + 1);
    if (!minus && !digit(i)) {
      ++i;
      continue;
    }
    size_t end = i + (minus ? 1 : 0);
    while (digit(end)) ++end;
    // A number inside a word ("sess-12", "v2") is not one.
    const bool whole =
        (i == 0 || !WordChar(text[i - 1])) && (end == text.size() || !WordChar(text[end]));
    if (whole && end - i < 19) out.push_back(std::stoll(text.substr(i, end - i)));
    i = end;
  }
  return out;
}

}  // namespace

SyncErrorTies TieSyncErrors(const std::vector<std::string>& errors,
                            const std::vector<std::string>& session_ids,
                            const std::vector<int64_t>& user_ids) {
  SyncErrorTies t;
  t.error_of.assign(session_ids.size(), "");
  for (const std::string& e : errors) {
    bool tied = false;
    // A session id is unique to its row: an error naming one is that row's.
    for (size_t k = 0; k < session_ids.size(); ++k) {
      if (!session_ids[k].empty() && NamesWord(e, session_ids[k])) {
        if (t.error_of[k].empty()) t.error_of[k] = e;
        tied = true;
      }
    }
    if (!tied) {
      // Otherwise a user id written as a whole number: every row of that user was skipped.
      const std::vector<int64_t> numbers = NumbersIn(e);
      for (size_t k = 0; k < user_ids.size(); ++k) {
        if (std::find(numbers.begin(), numbers.end(), user_ids[k]) == numbers.end()) continue;
        if (t.error_of[k].empty()) t.error_of[k] = e;
        tied = true;
      }
    }
    if (!tied) t.untied.push_back(e);
  }
  return t;
}

namespace {

SendOutcome Parked(std::string message) {
  SendOutcome o;
  o.kind = OutcomeKind::kPark;
  o.message = std::move(message);
  return o;
}

// Index N of a Laravel error key "transactions.N.field", or -1.
int TransactionIndex(const std::string& key) {
  constexpr std::string_view kPrefix = "transactions.";
  if (key.rfind(kPrefix, 0) != 0) return -1;
  char* end = nullptr;
  const long n = std::strtol(key.c_str() + kPrefix.size(), &end, 10);
  if (end == key.c_str() + kPrefix.size()) return -1;
  return static_cast<int>(n);
}

}  // namespace

Result<std::unique_ptr<EdgeV1Client>> EdgeV1Client::Create(PlatformClientOptions options,
                                                           const Clock& clock) {
  if (options.base_url.empty()) return InvalidArgument("uplink.base_url: must not be empty");
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (options.api_key.empty()) return InvalidArgument("uplink.api_key: required by edge v1");
  if (options.sync_offline_bearer && options.machine_id <= 0) {
    return InvalidArgument("uplink.machine_id: required by the bearer sync-offline variant");
  }
  if (options.sync_offline_bearer && options.token.empty() && options.email.empty()) {
    return InvalidArgument(
        "uplink.token: the bearer sync-offline variant needs a token or an email/password");
  }
  auto http = HttpClient::Create(options.http);
  if (!http.ok()) return http.status();
  return std::unique_ptr<EdgeV1Client>(
      new EdgeV1Client(std::move(options), clock, std::move(http).value()));
}

EdgeV1Client::EdgeV1Client(PlatformClientOptions options, const Clock& clock,
                           std::unique_ptr<HttpClient> http)
    : options_(std::move(options)), clock_(clock), http_(std::move(http)) {
  bearer_ = options_.token;
}

HttpHeaders EdgeV1Client::KeyHeaders() const {
  return {{"Accept", "application/json"}, {"X-RVM-API-KEY", options_.api_key}};
}

PlatformClientStats EdgeV1Client::stats() const {
  return {http_->stats().requests, http_->stats().connections_opened, logins_};
}

Status EdgeV1Client::Register() {
  json body = {
      {"hardware_id", options_.hardware_id.empty() ? options_.machine_name : options_.hardware_id},
      {"name", options_.machine_name.empty() ? "rvm-edge" : options_.machine_name},
      {"firmware_version", options_.software_version.substr(0, 50)},
      {"controller_type", "rvm-edge"}};
  const HttpResponse r = http_->PostJson(Url("/edge/handshake"), KeyHeaders(), body.dump());
  const Classification c = Classify(r, clock_.WallMillis());
  if (c.verdict == Verdict::kAck) return Status::Ok();
  return Unavailable("edge v1 handshake: " + c.message);
}

Status EdgeV1Client::LogIn() {
  if (options_.email.empty()) {
    return Unavailable("edge v1 login: the token was refused and no uplink.email is configured");
  }
  json body = {{"email", options_.email},
               {"password", options_.password},
               {"device_name", options_.machine_name.empty() ? "rvm-edge" : options_.machine_name}};
  ++logins_;
  const HttpResponse r =
      http_->PostJson(Url("/login"), {{"Accept", "application/json"}}, body.dump());
  if (r.status != 200) {
    return Unavailable("edge v1 login: " + Classify(r, clock_.WallMillis()).message);
  }
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_object() ||
      !j["data"].contains("token") || !j["data"]["token"].is_string()) {
    return Unavailable("edge v1 login: the response has no data.token");
  }
  bearer_ = j["data"]["token"].get<std::string>();
  return Status::Ok();
}

std::optional<SendOutcome> EdgeV1Client::BuildDeposit(const OutgoingRecord& r,
                                                      MultipartRequest& request) const {
  const outbox::StoredRecord& rec = *r.record;
  json data = json::parse(rec.payload_json, nullptr, false);
  if (!data.is_object()) {
    return Parked("item " + rec.item_id + ": the stored payload is not a JSON object");
  }
  data["item_id"] = rec.item_id;
  std::string status = "ACCEPTED";
  if (auto it = data.find("status"); it != data.end() && it->is_string() && !it->empty()) {
    status = it->get<std::string>();
  } else if (auto a = data.find("accepted"); a != data.end() && a->is_boolean()) {
    status = a->get<bool>() ? "ACCEPTED" : "REJECTED";
  }
  std::string image(r.evidence_jpeg.begin(), r.evidence_jpeg.end());
  if (image.empty()) {
    const auto& placeholder = PlaceholderJpeg();
    image.assign(placeholder.begin(), placeholder.end());
    data["evidence"] = "unavailable";
  }
  request.url = Url("/edge/deposit");
  request.parts = {
      {"image", std::move(image), rec.item_id + ".jpg", "image/jpeg"},
      {"status", status, "", ""},
      {"data", data.dump(), "", ""},
  };
  if (auto s = data.find("session_id"); s != data.end() && s->is_string() && !s->empty()) {
    request.parts.push_back({"session_id", s->get<std::string>(), "", ""});
  }
  request.headers = KeyHeaders();
  request.headers.emplace_back("Idempotency-Key", rec.item_id);
  return std::nullopt;
}

std::vector<SendOutcome> EdgeV1Client::SendDeposits(std::span<const OutgoingRecord> records,
                                                    int max_in_flight) {
  std::vector<SendOutcome> out(records.size());
  // The records that go out, and the request each one became.
  std::vector<size_t> rows;
  std::vector<MultipartRequest> requests;
  for (size_t i = 0; i < records.size(); ++i) {
    MultipartRequest request;
    if (auto refused = BuildDeposit(records[i], request)) {
      out[i] = std::move(*refused);
      continue;
    }
    rows.push_back(i);
    requests.push_back(std::move(request));
  }
  std::vector<bool> answered(records.size(), false);
  http_->PostMultipartWindow(requests, max_in_flight, [&](size_t n, HttpResponse&& resp) {
    const size_t i = rows[n];
    // A stored deposit is a 201 whose data.ai_result echoes the data sent.
    SendOutcome o = FromClassification(
        Classify(resp, clock_.WallMillis(), {201, records[i].record->item_id}));
    if (o.kind != OutcomeKind::kDelivered && !o.message.empty()) {
      o.message = "edge deposit " + records[i].record->item_id + ": " + o.message;
    }
    out[i] = std::move(o);
    answered[i] = true;
    return out[i].kind != OutcomeKind::kRetry;  // the platform is probably down: stop
  });
  // Records after the first one to retry keep only a final outcome (the
  // platform acknowledged or refused them while the window was open); the
  // others are reported not sent, so the caller resends them after it.
  bool after_retry = false;
  for (size_t i = 0; i < records.size(); ++i) {
    if (!after_retry) {
      after_retry = out[i].kind == OutcomeKind::kRetry;
      continue;
    }
    const bool final_answer = answered[i] && (out[i].kind == OutcomeKind::kDelivered ||
                                              out[i].kind == OutcomeKind::kPark);
    if (!final_answer) out[i] = SendOutcome{};
  }
  return out;
}

std::vector<SendOutcome> EdgeV1Client::SendSessions(std::span<const OutgoingRecord> records) {
  std::vector<SendOutcome> out(records.size());
  std::vector<size_t> rows;
  std::vector<json> transactions;
  for (size_t i = 0; i < records.size(); ++i) {
    const outbox::StoredRecord& rec = *records[i].record;
    const json s = json::parse(rec.payload_json, nullptr, false);
    if (!s.is_object()) {
      out[i] = Parked("session " + rec.item_id + ": the stored payload is not a JSON object");
      continue;
    }
    const json items = s.value("items", json::array());
    if (!items.is_array() || items.empty()) {
      out[i].kind = OutcomeKind::kDelivered;  // nothing the platform would take
      out[i].skipped = true;
      continue;
    }
    json t = {{"session_id", s.value("session_id", rec.item_id)},
              {"user_id", s.value("user_id", json(-1))},
              {"timestamp", s.value("timestamp", json(""))},
              {"items", json::array()}};
    for (const auto& item : items) {
      json row = {{"type", item.value("type", json("unknown"))},
                  {"weight", item.value("weight", json(0))},
                  {"points", item.value("points", json(0))}};
      if (item.contains("item_id")) row["item_id"] = item["item_id"];
      t["items"].push_back(std::move(row));
    }
    rows.push_back(i);
    transactions.push_back(std::move(t));
  }
  if (!rows.empty()) SendSyncBatch(records, rows, transactions, out);
  return out;
}

void EdgeV1Client::SendSyncBatch(std::span<const OutgoingRecord> records,
                                 const std::vector<size_t>& rows,
                                 const std::vector<json>& transactions,
                                 std::vector<SendOutcome>& out) {
  const std::string body = json{{"transactions", transactions}}.dump();
  auto send = [&]() {
    HttpHeaders headers = {{"Accept", "application/json"}};
    if (options_.sync_offline_bearer) {
      headers.emplace_back("Authorization", "Bearer " + bearer_);
      headers.emplace_back("X-RVM-Machine-ID", std::to_string(options_.machine_id));
    } else {
      headers.emplace_back("X-RVM-API-KEY", options_.api_key);
    }
    return http_->PostJson(Url("/edge/sync-offline"), headers, body);
  };
  if (options_.sync_offline_bearer && bearer_.empty()) {
    if (Status st = LogIn(); !st.ok()) {
      for (size_t row : rows) {
        out[row].kind = OutcomeKind::kRetry;
        out[row].auth_failure = true;
        out[row].message = st.message();
      }
      return;
    }
  }
  // Both server variants answer a synced batch with a 200.
  const AckExpectation synced{200, ""};
  HttpResponse resp = send();
  Classification c = Classify(resp, clock_.WallMillis(), synced);
  if (c.verdict == Verdict::kReauth && options_.sync_offline_bearer && LogIn().ok()) {
    resp = send();
    c = Classify(resp, clock_.WallMillis(), synced);
  }
  if (c.verdict == Verdict::kAck) {
    // Rows in errors[] (an unknown user) were skipped by the server: park them.
    // The contract does not fix the errors' wording, so each is tied to rows
    // by the session id or user id it names (TieSyncErrors), and synced_count
    // must agree. When an error names no row, or the count disagrees, which
    // sessions were credited is not known: every row is parked rather than
    // marked delivered (`outbox replay` resends them; a platform that has a
    // session_id already skips it).
    const json j = json::parse(resp.body, nullptr, false);
    std::vector<std::string> errors;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
      for (const auto& e : j["errors"])
        errors.push_back(e.is_string() ? e.get<std::string>() : e.dump());
    }
    std::vector<std::string> session_ids;
    std::vector<int64_t> user_ids;
    for (const json& t : transactions) {
      session_ids.push_back(t["session_id"].is_string() ? t["session_id"].get<std::string>() : "");
      user_ids.push_back(t["user_id"].is_number_integer() ? t["user_id"].get<int64_t>() : -1);
    }
    const SyncErrorTies ties = TieSyncErrors(errors, session_ids, user_ids);
    const auto skipped =
        static_cast<int64_t>(std::count_if(ties.error_of.begin(), ties.error_of.end(),
                                           [](const std::string& e) { return !e.empty(); }));
    const int64_t expected = static_cast<int64_t>(rows.size()) - skipped;
    const bool has_count =
        j.is_object() && j.contains("synced_count") && j["synced_count"].is_number_integer();
    const int64_t count = has_count ? j["synced_count"].get<int64_t>() : expected;
    std::string doubt;
    if (!ties.untied.empty() || count != expected) {
      doubt = "sync-offline: the platform answered 200 with synced_count " +
              (has_count ? std::to_string(count) : std::string("(none)")) + " for " +
              std::to_string(rows.size()) + " sessions";
      for (const std::string& e : ties.untied) doubt += "; an error naming no session sent: " + e;
      doubt += "; which sessions it credited is unknown, so none is marked delivered";
    }
    for (size_t k = 0; k < rows.size(); ++k) {
      if (!ties.error_of[k].empty()) {
        out[rows[k]] = Parked("sync-offline: " + ties.error_of[k]);
      } else if (!doubt.empty()) {
        out[rows[k]] = Parked(doubt);
      } else {
        out[rows[k]].kind = OutcomeKind::kDelivered;
      }
    }
    return;
  }
  if (c.verdict == Verdict::kPark) {
    // A 422 naming rows parks those rows; the others go again at once.
    std::vector<std::string> row_errors(rows.size());
    const json j = json::parse(resp.body, nullptr, false);
    if (j.is_object() && j.contains("errors") && j["errors"].is_object()) {
      for (const auto& [key, msgs] : j["errors"].items()) {
        const int n = TransactionIndex(key);
        if (n < 0 || static_cast<size_t>(n) >= rows.size()) continue;
        const std::string first = msgs.is_array() && !msgs.empty() && msgs[0].is_string()
                                      ? msgs[0].get<std::string>()
                                      : msgs.dump();
        row_errors[n] += (row_errors[n].empty() ? "" : "; ") + key + ": " + first;
      }
    }
    const bool any_row = std::any_of(row_errors.begin(), row_errors.end(),
                                     [](const std::string& e) { return !e.empty(); });
    for (size_t k = 0; k < rows.size(); ++k) {
      if (!any_row) {
        out[rows[k]] = Parked("sync-offline: " + c.message);
      } else if (!row_errors[k].empty()) {
        out[rows[k]] =
            Parked("sync-offline: HTTP " + std::to_string(resp.status) + ": " + row_errors[k]);
      } else {
        out[rows[k]].kind = OutcomeKind::kNotSent;  // not at fault: goes with the next batch
      }
    }
    return;
  }
  SendOutcome failed = FromClassification(c);
  failed.message = "sync-offline: " + failed.message;
  (void)records;
  for (size_t row : rows) out[row] = failed;
}

Result<HeartbeatReply> EdgeV1Client::Heartbeat(const HeartbeatInfo& info) {
  json body = {{"bin_capacity", std::clamp(info.bin_capacity, 0, 100)},
               {"version", info.version.empty() ? options_.software_version : info.version},
               {"hardware_id", options_.hardware_id},
               {"status", "online"}};
  if (!info.health.is_null()) body["health_metrics"] = info.health;
  if (!info.command_results.empty()) body["command_results"] = info.command_results;
  const HttpResponse r = http_->PostJson(Url("/edge/heartbeat"), KeyHeaders(), body.dump());
  const Classification c = Classify(r, clock_.WallMillis());
  HeartbeatReply reply;
  if (r.status == 403) {
    reply.not_authorised = true;
    reply.message = "edge v1 heartbeat: " + c.message;
    return reply;
  }
  if (c.verdict != Verdict::kAck) return Unavailable("edge v1 heartbeat: " + c.message);
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return Unavailable("edge v1 heartbeat: the response body is not JSON");
  if (j.contains("commands") && j["commands"].is_array()) reply.commands = j["commands"];
  if (j.contains("server_time") && j["server_time"].is_string()) {
    reply.server_time = j["server_time"].get<std::string>();
  }
  return reply;
}

}  // namespace rvm::uplink
