#include "platform_sim/edge_v1_api.h"

#include <cstdlib>

#include "base/sha256.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

// The ValidateRvmApiKey middleware: the machine of X-RVM-API-KEY, or an
// error response already written.
std::optional<Machine> RequireMachineKey(ApiContext& ctx, const httplib::Request& req,
                                         httplib::Response& res) {
  const std::string key = req.get_header_value("X-RVM-API-KEY");
  if (key.empty()) {
    RespondJson(res, 401,
                json{{"status", "error"},
                     {"message", "API key is required. Send it in the X-RVM-API-KEY header."},
                     {"error_code", "MISSING_API_KEY"}});
    return std::nullopt;
  }
  auto machine = ctx.store.MachineByKey(key);
  if (!machine) {
    RespondJson(res, 401,
                json{{"status", "error"},
                     {"message", "Invalid API key."},
                     {"error_code", "INVALID_API_KEY"}});
    return std::nullopt;
  }
  if (machine->status == "blocked" || machine->status == "suspended") {
    RespondJson(res, 403,
                json{{"status", "error"},
                     {"message", "Machine is " + machine->status + "."},
                     {"error_code", "MACHINE_BLOCKED"}});
    return std::nullopt;
  }
  return machine;
}

// A multipart text field, else the same key of a JSON body.
std::optional<std::string> FormField(const httplib::Request& req, const json& body,
                                     const std::string& name) {
  if (req.has_file(name)) return req.get_file_value(name).content;
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::nullopt;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void Login(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const json body = JsonBody(req);
  RequestValidator v(body);
  v.Check("email", "required|email");
  v.Check("password", "required");
  v.Check("device_name", "required");
  if (!v.ok()) return RespondLaravelValidation(res, v.errors());
  auto user = ctx.store.UserByCredentials(
      body["email"].get<std::string>(),
      body["password"].is_string() ? body["password"].get<std::string>() : body["password"].dump());
  if (!user) {
    return RespondJson(res, 401, json{{"status", "error"}, {"message", "Kredensial tidak valid"}});
  }
  auto token = ctx.store.IssueToken(user->id, ctx.clock.WallMillis());
  if (!token.ok()) {
    return RespondJson(res, 500, json{{"status", "error"}, {"message", token.status().message()}});
  }
  RespondJson(res, 200,
              json{{"status", "success"},
                   {"message", "Login berhasil"},
                   {"data",
                    {{"user",
                      {{"id", user->id},
                       {"name", user->name},
                       {"email", user->email},
                       {"role", user->role}}},
                     {"token", *token},
                     {"token_type", "Bearer"}}}});
}

void Handshake(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto machine = RequireMachineKey(ctx, req, res);
  if (!machine) return;
  const json body = JsonBody(req);
  RequestValidator v(body);
  v.Check("hardware_id", "required|string|max:100");
  v.Check("name", "required|string|max:255");
  v.Check("ip_local", "nullable|ip");
  v.Check("ip_vpn", "nullable|ip");
  v.Check("timezone", "nullable|string|max:50");
  v.Check("system", "nullable|array");
  for (const char* f :
       {"system.jetpack_version", "system.firmware_version", "system.python_version"}) {
    v.Check(f, "nullable|string|max:50");
  }
  v.Check("system.ai_models", "nullable|array");
  for (const char* f :
       {"system.ai_models.model_name", "system.ai_models.model_version", "system.ai_models.hash"}) {
    v.Check(f, "nullable|string|max:100");
  }
  v.Check("firmware_version", "nullable|string|max:50");
  v.Check("controller_type", "nullable|string|max:100");
  v.Check("ai_model_version", "nullable|string|max:100");
  v.Check("health_metrics", "nullable|array");
  for (const char* f : {"health_metrics.cpu_usage_percent", "health_metrics.memory_usage_percent",
                        "health_metrics.disk_usage_percent"}) {
    v.Check(f, "nullable|numeric|min:0|max:100");
  }
  v.Check("health_metrics.cpu_temperature", "nullable|numeric");
  v.Check("hardware_info", "nullable|array");
  for (const char* f : {"hardware_info.cameras", "hardware_info.sensors", "hardware_info.actuators",
                        "hardware_info.microcontroller"}) {
    v.Check(f, "nullable|array");
  }
  v.Check("diagnostics", "nullable|array");
  if (!v.ok()) return RespondLaravelValidation(res, v.errors());

  const int64_t now = ctx.clock.WallMillis();
  if (Status st = ctx.store.UpsertEdgeDevice(machine->id, body, now); !st.ok()) {
    return RespondJson(res, 500, json{{"status", "error"}, {"message", st.message()}});
  }
  std::string timezone = machine->timezone;
  if (body.contains("timezone") && body["timezone"].is_string()) {
    timezone = body["timezone"].get<std::string>();
    (void)ctx.store.SetMachineTimezone(machine->id, timezone);
  }
  const std::string& uuid = machine->uuid;
  json data = {
      {"identity", {{"rvm_id", machine->id}, {"rvm_uuid", uuid}, {"rvm_name", machine->name}}},
      {"kiosk",
       {{"url", ctx.base_url + "/rvm-ui/" + uuid + "?signature=sim"}, {"timezone", timezone}}},
      {"websocket",
       {{"channel", "rvm." + uuid},
        {"auth_token", "sim-websocket-token"},
        {"host", "127.0.0.1"},
        {"port", 443},
        {"scheme", "wss"}}},
      {"policy",
       {{"is_maintenance_mode", false},
        {"bin_full_threshold_percent", 90},
        {"camera_idle_timeout_sec", 60},
        {"motor_speed_delay", 0.005},
        {"system_donation_user_id", -1}}},
      {"ai_model",
       {{"target_version", "v1.0.0"}, {"hash", nullptr}, {"update_source_url", nullptr}}}};
  RespondJson(res, 200,
              json{{"status", "success"},
                   {"message", "Handshake successful. Configuration synced."},
                   {"data", std::move(data)}});
}

void Heartbeat(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto machine = RequireMachineKey(ctx, req, res);
  if (!machine) return;
  const json body = JsonBody(req);
  const int64_t now = ctx.clock.WallMillis();
  RecordRow row{machine->id, "", body, now};
  auto stored =
      ctx.store.InsertRecord(RecordKind::kHeartbeat, row, [](int64_t) { return StoredResponse{}; });
  if (!stored.ok()) {
    return RespondJson(res, 500, json{{"status", "error"}, {"message", stored.status().message()}});
  }
  if (machine->status != "maintenance") (void)ctx.store.SetMachineStatus(machine->id, "online");
  // Not in the contract: a device may report what it did with earlier commands.
  if (body.contains("command_results") && body["command_results"].is_array()) {
    for (const auto& r : body["command_results"]) {
      (void)ctx.store.RecordCommandResult(machine->id, r, now);
    }
  }
  auto taken = ctx.store.TakeCommands(machine->id, now, ctx.options.command_ttl_ms);
  json commands = json::array();
  if (taken.ok()) {
    for (auto& c : *taken) {
      json out = {{"action", c["action"]}, {"timestamp", IsoTime(c["queued_ms"].get<int64_t>())}};
      if (c.contains("payload")) out["payload"] = c["payload"];
      commands.push_back(std::move(out));
    }
  }
  RespondJson(res, 200,
              json{{"status", "success"}, {"server_time", IsoTime(now)}, {"commands", commands}});
}

void Deposit(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto machine = RequireMachineKey(ctx, req, res);
  if (!machine) return;
  const json body = req.is_multipart_form_data() ? json::object() : JsonBody(req);
  const bool has_image = req.has_file("image");
  const std::string image = has_image ? req.get_file_value("image").content : "";
  FieldErrors errors;
  CheckImageFile(errors, "image", has_image, image, "jpeg,jpg,png", 5120);
  const auto status = FormField(req, body, "status");
  if (!status || status->empty()) errors.Add("status", "The status field is required.");
  const auto data_text = FormField(req, body, "data");
  if (!data_text || data_text->empty()) errors.Add("data", "The data field is required.");

  json data = nullptr;
  if (data_text) {
    data = json::parse(*data_text, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) data = nullptr;
  }
  std::string data_item_id;
  if (data.is_object() && data.contains("item_id") && data["item_id"].is_string()) {
    data_item_id = data["item_id"].get<std::string>();
  }
  const std::string header_key = req.get_header_value("Idempotency-Key");
  if (!header_key.empty() && !data_item_id.empty() && header_key != data_item_id) {
    errors.Add("data.item_id", "The data.item id must match the Idempotency-Key header.");
  }
  if (!errors.empty()) return RespondLaravelValidation(res, errors);

  std::string session_id = FormField(req, body, "session_id").value_or("");
  if (session_id.empty() && data.is_object() && data.contains("session_id") &&
      data["session_id"].is_string()) {
    session_id = data["session_id"].get<std::string>();
  }
  const int64_t now = ctx.clock.WallMillis();
  const std::string type = DetectImageType(image);
  const std::string key = IdempotencyKey(req, data_item_id);
  json payload = {{"status", *status},
                  {"data", data.is_null() ? json(*data_text) : data},
                  {"session_id", session_id},
                  {"image",
                   {{"sha256", Sha256Hex(image)},
                    {"size", image.size()},
                    {"type", type},
                    {"filename", req.get_file_value("image").filename}}}};
  RecordRow row{machine->id, key, payload, now};
  const std::string day = IsoTime(now).substr(0, 10);
  auto stored = ctx.store.InsertRecord(RecordKind::kDeposit, row, [&](int64_t seq) {
    const std::string name =
        (key.empty() ? std::to_string(seq) : key) + (type == "png" ? ".png" : ".jpg");
    json out = {{"status", "success"},
                {"message", "Deposit processed"},
                {"data",
                 {{"image_url", "/storage/deposits/" + day + "/" +
                                    (session_id.empty() ? "unknown" : session_id) + "/" + name},
                  {"ai_result", data},
                  {"processed_at", IsoTime(now)}}}};
    return StoredResponse{201, out.dump()};
  });
  if (!stored.ok()) {
    return RespondJson(res, 500, json{{"status", "error"}, {"message", stored.status().message()}});
  }
  res.status = stored->response.status;
  res.set_content(stored->response.body, "application/json");
  if (stored->duplicate) res.set_header("X-Sim-Duplicate", "true");
}

// POST /dataset/upload (dev-server, platform-api.md B3.6): `image`
// required|file|max:10240, `camera_port` nullable. The reference client
// uploads its CAPTURE_IMAGE snapshot here. No dedupe: every upload is a new file.
void DatasetUpload(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  auto machine = RequireMachineKey(ctx, req, res);
  if (!machine) return;
  FieldErrors errors;
  const bool has_image = req.has_file("image") && !req.get_file_value("image").filename.empty();
  const std::string image = has_image ? req.get_file_value("image").content : "";
  if (!has_image) {
    errors.Add("image", "The image field is required.");
  } else if (image.size() > 10240 * 1024) {
    errors.Add("image", "The image field must not be greater than 10240 kilobytes.");
  }
  if (!errors.empty()) return RespondLaravelValidation(res, errors);
  const std::string camera_port =
      req.has_file("camera_port") ? req.get_file_value("camera_port").content : "";
  const int64_t now = ctx.clock.WallMillis();
  const std::string type = DetectImageType(image);
  const std::string filename = std::to_string(now / 1000) + "_" + Sha256Hex(image).substr(0, 8) +
                               "_raw." + (type.empty() || type == "jpeg" ? "jpg" : type);
  json payload = {{"route", "dataset"},
                  {"camera_port", camera_port.empty() ? json(nullptr) : json(camera_port)},
                  {"image",
                   {{"sha256", Sha256Hex(image)},
                    {"size", image.size()},
                    {"type", type},
                    {"filename", req.get_file_value("image").filename}}}};
  RecordRow row{machine->id, "", payload, now};
  auto stored = ctx.store.InsertRecord(RecordKind::kUpload, row, [&](int64_t) {
    json out = {{"success", true},
                {"message", "Image uploaded successfully"},
                {"data",
                 {{"rvm_machine_id", machine->id},
                  {"file_path", "dataset/raw/" + filename},
                  {"filename", filename},
                  {"camera_port", payload["camera_port"]},
                  {"captured_at", IsoTime(now)}}}};
    return StoredResponse{201, out.dump()};
  });
  if (!stored.ok()) {
    return RespondJson(res, 500, json{{"success", false}, {"message", stored.status().message()}});
  }
  res.status = stored->response.status;
  res.set_content(stored->response.body, "application/json");
}

// Both server variants of POST /edge/sync-offline (platform-api.md B3.4).
void SyncOffline(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const SyncOfflineAuth mode = ctx.options.sync_offline_auth;
  const bool use_key = mode == SyncOfflineAuth::kKey ||
                       (mode == SyncOfflineAuth::kEither && req.has_header("X-RVM-API-KEY"));
  const json body = JsonBody(req);
  const int64_t now = ctx.clock.WallMillis();
  std::vector<OfflineTransaction> txns;
  auto read = [&](const json& t) {
    OfflineTransaction o;
    if (t.contains("session_id") && t["session_id"].is_string()) {
      o.session_id = t["session_id"].get<std::string>();
    }
    if (t.contains("user_id") && t["user_id"].is_number_integer()) {
      o.user_id = t["user_id"].get<int64_t>();
    } else if (t.contains("user_id") && t["user_id"].is_string()) {
      o.user_id = std::strtoll(t["user_id"].get<std::string>().c_str(), nullptr, 10);
    }
    if (t.contains("timestamp") && t["timestamp"].is_string()) {
      o.timestamp = t["timestamp"].get<std::string>();
    }
    if (t.contains("items")) o.items = t["items"];
    return o;
  };

  if (use_key) {
    // master: key-authenticated, a loose format check, no per-field rules.
    auto machine = RequireMachineKey(ctx, req, res);
    if (!machine) return;
    if (!body.contains("transactions") || !body["transactions"].is_array()) {
      return RespondJson(res, 422, json{{"status", "error"}, {"message", "Invalid format"}});
    }
    for (const auto& t : body["transactions"]) txns.push_back(read(t.is_object() ? t : json{}));
    auto out = ctx.store.SyncTransactions(machine->id, txns, /*check_users=*/false, "key", now);
    if (!out.ok()) {
      return RespondJson(res, 500, json{{"status", "error"}, {"message", out.status().message()}});
    }
    return RespondJson(
        res, 200,
        json{{"status", "success"},
             {"message", "Synced " + std::to_string(out->synced_count) + " transactions"},
             {"synced_count", out->synced_count}});
  }

  // dev-server: bearer token plus X-RVM-Machine-ID, full validation.
  if (!BearerUser(ctx, req)) return RespondUnauthenticated(res);
  RequestValidator v(body);
  v.Check("transactions", "required|array|min:1");
  v.Check("transactions.*.session_id", "required|string");
  v.Check("transactions.*.user_id", "required|integer");
  v.Check("transactions.*.timestamp", "required|string");
  v.Check("transactions.*.items", "required|array");
  v.Check("transactions.*.items.*.type", "required|string");
  v.Check("transactions.*.items.*.weight", "numeric");
  v.Check("transactions.*.items.*.points", "integer");
  if (!v.ok()) return RespondLaravelValidation(res, v.errors());
  const std::string machine_header = req.get_header_value("X-RVM-Machine-ID");
  char* end = nullptr;
  const int64_t machine_id = std::strtoll(machine_header.c_str(), &end, 10);
  // The real server inserts a NULL rvm_machine_id and the NOT NULL constraint
  // rolls the whole batch back; the sim answers the same way.
  if (machine_header.empty() || *end != '\0' || !ctx.store.MachineById(machine_id)) {
    return RespondJson(res, 500,
                       json{{"status", "error"},
                            {"message",
                             "Sync failed: X-RVM-Machine-ID header missing or unknown "
                             "(NOT NULL constraint failed: transactions.rvm_machine_id)"},
                            {"synced_count", 0}});
  }
  for (const auto& t : body["transactions"]) txns.push_back(read(t));
  auto out = ctx.store.SyncTransactions(machine_id, txns, /*check_users=*/true, "bearer", now);
  if (!out.ok()) {
    return RespondJson(
        res, 500,
        json{{"status", "error"}, {"message", out.status().message()}, {"synced_count", 0}});
  }
  std::vector<std::string> errors;
  for (const SyncOutcome::Skipped& s : out->unknown_user) {
    std::string e = ctx.options.unknown_user_error;
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"{user}", std::to_string(s.user_id)},
          {"{session}", s.session_id}}) {
      if (const size_t at = e.find(key); at != std::string::npos) e.replace(at, key.size(), value);
    }
    errors.push_back(std::move(e));
  }
  RespondJson(res, 200,
              json{{"status", "success"},
                   {"message", "Synced " + std::to_string(out->synced_count) + " transactions"},
                   {"synced_count", out->synced_count},
                   {"errors", errors}});
}

}  // namespace

void RegisterEdgeV1Routes(ApiContext& ctx, const AddRoute& add) {
  auto bind = [&ctx](void (*fn)(ApiContext&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); };
  };
  add("POST", "/api/v1/login", "POST /api/v1/login", bind(Login));
  add("POST", "/api/v1/edge/handshake", "POST /api/v1/edge/handshake", bind(Handshake));
  add("POST", "/api/v1/edge/heartbeat", "POST /api/v1/edge/heartbeat", bind(Heartbeat));
  add("POST", "/api/v1/edge/deposit", "POST /api/v1/edge/deposit", bind(Deposit));
  add("POST", "/api/v1/edge/sync-offline", "POST /api/v1/edge/sync-offline", bind(SyncOffline));
  add("POST", "/api/v1/dataset/upload", "POST /api/v1/dataset/upload", bind(DatasetUpload));
}

}  // namespace rvm::sim
