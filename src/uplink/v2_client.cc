#include "uplink/v2_client.h"

#include <algorithm>

#include "base/iso_time.h"
#include "uplink/response_class.h"

namespace rvm::uplink {
namespace {

using nlohmann::json;

SendOutcome Outcome(const Classification& c, const std::string& what) {
  SendOutcome o;
  o.garbled_ack = c.garbled_ack;
  switch (c.verdict) {
    case Verdict::kAck:
      o.kind = OutcomeKind::kDelivered;
      return o;
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
  o.message = what + ": " + c.message;
  o.retry_after_ms = c.retry_after_ms;
  return o;
}

std::string Str(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() && !it->empty() ? it->get<std::string>() : fallback;
}

}  // namespace

Result<std::unique_ptr<V2Client>> V2Client::Create(PlatformClientOptions options,
                                                   const Clock& clock) {
  if (options.base_url.empty()) return InvalidArgument("uplink.base_url: must not be empty");
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (options.machine_id <= 0) return InvalidArgument("uplink.machine_id: required by v2 (rvm_id)");
  if (options.token.empty() && options.email.empty()) {
    return InvalidArgument("uplink.email: v2 needs a login (email and password) or a token");
  }
  auto http = HttpClient::Create(options.http);
  if (!http.ok()) return http.status();
  return std::unique_ptr<V2Client>(
      new V2Client(std::move(options), clock, std::move(http).value()));
}

V2Client::V2Client(PlatformClientOptions options, const Clock& clock,
                   std::unique_ptr<HttpClient> http)
    : options_(std::move(options)), clock_(clock), http_(std::move(http)) {
  bearer_ = options_.token;
}

PlatformClientStats V2Client::stats() const {
  return {http_->stats().requests, http_->stats().connections_opened, logins_};
}

Status V2Client::LogIn() {
  if (options_.email.empty()) {
    return Unavailable("v2 login: the token was refused and no uplink.email is configured");
  }
  ++logins_;
  const HttpResponse r =
      http_->PostJson(Url("/auth/login"), {{"Accept", "application/json"}},
                      json{{"email", options_.email}, {"password", options_.password}}.dump());
  if (r.status != 200) return Unavailable("v2 login: " + Classify(r, clock_.WallMillis()).message);
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("data") || !j["data"].is_object() ||
      !j["data"].contains("token") || !j["data"]["token"].is_string()) {
    return Unavailable("v2 login: the response has no data.token");
  }
  bearer_ = j["data"]["token"].get<std::string>();
  return Status::Ok();
}

HttpResponse V2Client::WithAuth(const std::function<HttpResponse(const HttpHeaders&)>& send,
                                const std::string& item_id, bool* auth_failed) {
  *auth_failed = false;
  auto headers = [&] {
    HttpHeaders h = {{"Accept", "application/json"}, {"Authorization", "Bearer " + bearer_}};
    if (!item_id.empty()) h.emplace_back("Idempotency-Key", item_id);
    return h;
  };
  if (bearer_.empty()) {
    if (Status st = LogIn(); !st.ok()) {
      *auth_failed = true;
      HttpResponse r;
      r.transport_error = st.message();
      return r;
    }
  }
  HttpResponse r = send(headers());
  if (r.status == 401) {
    if (Status st = LogIn(); !st.ok()) {
      *auth_failed = true;
      return r;
    }
    r = send(headers());
    if (r.status == 401) *auth_failed = true;
  }
  return r;
}

Status V2Client::Register() {
  json body = {{"rvm_id", options_.machine_id},
               {"device_name", options_.machine_name.empty() ? "rvm-edge" : options_.machine_name},
               {"software_version", options_.software_version}};
  const HttpResponse r = http_->PostJson(
      Url("/rvm/self/claim"), {{"Accept", "application/json"}, {"X-API-Key", options_.api_key}},
      body.dump());
  const Classification c = Classify(r, clock_.WallMillis());
  if (c.verdict == Verdict::kAck) return Status::Ok();
  return Unavailable("v2 self-claim: " + c.message);
}

SendOutcome V2Client::SendOneDeposit(const OutgoingRecord& r) {
  const outbox::StoredRecord& rec = *r.record;
  const json d = json::parse(rec.payload_json, nullptr, false);
  if (!d.is_object()) {
    SendOutcome o;
    o.kind = OutcomeKind::kPark;
    o.message = "item " + rec.item_id + ": the stored payload is not a JSON object";
    return o;
  }
  const std::string status = Str(d, "status", d.value("accepted", false) ? "ACCEPTED" : "REJECTED");
  bool auth_failed = false;
  std::string image_path = "unavailable";
  if (!r.evidence_jpeg.empty()) {
    std::vector<MultipartPart> parts = {
        {"image", std::string(r.evidence_jpeg.begin(), r.evidence_jpeg.end()), rec.item_id + ".jpg",
         "image/jpeg"},
        {"rvm_id", std::to_string(options_.machine_id), "", ""},
        {"metadata[item_id]", rec.item_id, "", ""},
        {"metadata[status]", status, "", ""},
    };
    const std::string session = Str(d, "session_id", "");
    if (!session.empty()) parts.push_back({"metadata[session_id]", session, "", ""});
    const HttpResponse up = WithAuth(
        [&](const HttpHeaders& h) { return http_->PostMultipart(Url("/upload"), h, parts); },
        rec.item_id, &auth_failed);
    const Classification c = Classify(up, clock_.WallMillis(), {200, rec.item_id});
    if (c.verdict != Verdict::kAck || auth_failed) {
      SendOutcome o = Outcome(c, "v2 upload " + rec.item_id);
      if (auth_failed && o.kind != OutcomeKind::kPark) {
        o.kind = OutcomeKind::kRetry;
        o.auth_failure = true;
      }
      return o;
    }
    const json j = json::parse(up.body, nullptr, false);
    if (j.is_object() && j.contains("data") && j["data"].is_object()) {
      image_path = Str(j["data"], "path", image_path);
    }
  }
  json box = json::array({0, 0, 0, 0});
  if (auto bf = d.find("best_frame"); bf != d.end() && bf->is_object()) {
    auto b = bf->find("box");
    if (b != bf->end() && b->is_array() && b->size() == 4 &&
        std::all_of(b->begin(), b->end(), [](const json& v) { return v.is_number(); })) {
      box = *b;
    }
  }
  double confidence = 0;
  if (auto c = d.find("confidence"); c != d.end() && c->is_number()) {
    confidence = std::clamp(c->get<double>(), 0.0, 1.0);
  }
  // `class` (not class_name) and never an empty list: platform-api.md A3.
  json body = {{"rvm_id", options_.machine_id},
               {"image_path", image_path},
               {"detections", json::array({json{{"class", Str(d, "label", "unknown")},
                                                {"confidence", confidence},
                                                {"bbox", box}}})},
               {"item_id", rec.item_id},
               {"status", status}};
  if (auto t = d.find("decided_at_ms"); t != d.end() && t->is_number_integer()) {
    body["timestamp"] = IsoUtcMillis(t->get<int64_t>());
  } else {
    body["timestamp"] = IsoUtcMillis(rec.created_ms);
  }
  const std::string text = body.dump();
  const HttpResponse resp = WithAuth(
      [&](const HttpHeaders& h) { return http_->PostJson(Url("/detection-results"), h, text); },
      rec.item_id, &auth_failed);
  SendOutcome o = Outcome(Classify(resp, clock_.WallMillis(), {201, rec.item_id}),
                          "v2 detection " + rec.item_id);
  if (auth_failed && o.kind != OutcomeKind::kPark) {
    o.kind = OutcomeKind::kRetry;
    o.auth_failure = true;
  }
  return o;
}

std::vector<SendOutcome> V2Client::SendDeposits(std::span<const OutgoingRecord> records,
                                                int /*max_in_flight*/) {
  std::vector<SendOutcome> out(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    out[i] = SendOneDeposit(records[i]);
    if (out[i].kind == OutcomeKind::kRetry) break;
  }
  return out;
}

std::vector<SendOutcome> V2Client::SendSessions(std::span<const OutgoingRecord> records) {
  std::vector<SendOutcome> out(records.size());
  for (auto& o : out) {
    o.kind = OutcomeKind::kDelivered;
    o.skipped = true;
  }
  return out;
}

Result<HeartbeatReply> V2Client::Heartbeat(const HeartbeatInfo& info) {
  json app = {
      {"software_version", info.version.empty() ? options_.software_version : info.version}};
  json system = json::object();
  if (info.health.is_object()) {
    // The endpoint stores only these system fields, under its own names.
    const std::pair<const char*, const char*> kSystem[] = {{"cpu_usage_percent", "cpu_usage"},
                                                           {"memory_usage_percent", "memory_usage"},
                                                           {"disk_usage_percent", "disk_usage"},
                                                           {"gpu_usage_percent", "gpu_usage"},
                                                           {"cpu_temperature", "temperature"}};
    for (const auto& [from, to] : kSystem) {
      if (auto v = info.health.find(from); v != info.health.end() && v->is_number()) {
        system[to] = *v;
      }
    }
    // uptime_seconds is a decimal(10,6) column: 10000 s or more overflows it
    // (a 500), so a longer uptime is left out rather than clamped to a lie.
    if (auto v = info.health.find("uptime_s");
        v != info.health.end() && v->is_number() && v->get<double>() < 10000) {
      app["uptime_seconds"] = *v;
    }
    if (auto v = info.health.find("items_decided"); v != info.health.end() && v->is_number()) {
      app["deposit_count_since_restart"] = *v;
    }
  }
  json body = {{"application_metrics", app}};
  if (!system.empty()) body["system_metrics"] = system;
  const HttpResponse r =
      http_->PostJson(Url("/rvms/" + std::to_string(options_.machine_id) + "/metrics"),
                      {{"Accept", "application/json"}}, body.dump());
  const Classification c = Classify(r, clock_.WallMillis());
  if (c.verdict != Verdict::kAck) return Unavailable("v2 metrics: " + c.message);
  return HeartbeatReply{};
}

}  // namespace rvm::uplink
