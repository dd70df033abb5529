#include "platform_sim/v2_api.h"

#include <cstdlib>
#include <map>

#include "base/sha256.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

std::optional<Machine> MachineOf(ApiContext& ctx, const json& rvm_id) {
  if (rvm_id.is_number_integer()) return ctx.store.MachineById(rvm_id.get<int64_t>());
  if (rvm_id.is_string()) {
    const std::string& s = rvm_id.get_ref<const std::string&>();
    char* end = nullptr;
    const int64_t id = std::strtoll(s.c_str(), &end, 10);
    if (!s.empty() && *end == '\0') return ctx.store.MachineById(id);
  }
  return std::nullopt;
}

json MachineJson(const Machine& m) {
  return {{"id", m.id},
          {"name", m.name},
          {"status", m.status},
          {"timezone", m.timezone},
          {"uuid", m.uuid}};
}

void Login(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const json body = JsonBody(req);
  RequestValidator v(body);
  v.Check("email", "required|email");
  v.Check("password", "required|string|min:6");
  if (!v.ok()) return RespondV2Validation(res, v.errors());
  auto user = ctx.store.UserByCredentials(body["email"].get<std::string>(),
                                          body["password"].get<std::string>());
  if (!user) {
    return RespondJson(res, 401, json{{"success", false}, {"message", "Invalid credentials"}});
  }
  auto token = ctx.store.IssueToken(user->id, ctx.clock.WallMillis());
  if (!token.ok()) {
    return RespondJson(
        res, 500,
        json{{"success", false}, {"message", "Login failed"}, {"error", token.status().message()}});
  }
  RespondJson(res, 200,
              json{{"success", true},
                   {"message", "Login successful"},
                   {"data",
                    {{"user",
                      {{"id", user->id},
                       {"name", user->name},
                       {"email", user->email},
                       {"role", user->role}}},
                     {"token", *token},
                     {"token_type", "Bearer"}}}});
}

void DetectionResults(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!BearerUser(ctx, req)) return RespondUnauthenticated(res);
  const json body = JsonBody(req);
  RequestValidator v(body);
  v.Check("rvm_id", "required|integer");
  v.Check("image_path", "required|string");
  v.Check("detections", "required|array");
  v.Check("detections.*.class", "required|string");
  v.Check("detections.*.confidence", "required|numeric|between:0,1");
  v.Check("detections.*.bbox", "required|array|size:4");
  v.Check("detections.*.bbox.*", "numeric");
  v.Check("detections.*.segmentation_mask", "nullable|string");
  v.Check("timestamp", "nullable|date");
  v.Check("processing_time", "nullable|numeric");
  v.Check("model_version", "nullable|string");
  std::optional<Machine> machine;
  if (!v.errors().Has("rvm_id")) {
    machine = MachineOf(ctx, body["rvm_id"]);
    if (!machine) v.Fail("rvm_id", "The selected rvm id is invalid.");
  }
  if (!v.ok()) return RespondV2Validation(res, v.errors());

  const std::string body_key = body.contains("item_id") && body["item_id"].is_string()
                                   ? body["item_id"].get<std::string>()
                                   : "";
  const int64_t now = ctx.clock.WallMillis();
  RecordRow row{machine->id, IdempotencyKey(req, body_key), body, now};
  auto stored = ctx.store.InsertRecord(RecordKind::kDetectionResult, row, [&](int64_t seq) {
    json data = {{"id", seq},
                 {"rvm_id", machine->id},
                 {"image_path", body["image_path"]},
                 {"detections", body["detections"]},
                 {"timestamp", body.value("timestamp", json(nullptr))},
                 {"processing_time", body.value("processing_time", json(nullptr))},
                 {"model_version", body.value("model_version", json(nullptr))},
                 {"status", "completed"},
                 {"created_at", IsoTime(now)},
                 {"updated_at", IsoTime(now)},
                 {"reverse_vending_machine", MachineJson(*machine)}};
    json out = {{"success", true},
                {"message", "Detection results stored successfully"},
                {"data", std::move(data)}};
    return StoredResponse{201, out.dump()};
  });
  if (!stored.ok()) {
    return RespondJson(res, 500,
                       json{{"success", false},
                            {"message", "Failed to store detection results"},
                            {"error", stored.status().message()}});
  }
  res.status = stored->response.status;
  res.set_content(stored->response.body, "application/json");
  if (stored->duplicate) res.set_header("X-Sim-Duplicate", "true");
}

void Upload(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (!BearerUser(ctx, req)) return RespondUnauthenticated(res);
  // Form fields: rvm_id, metadata[k]=v (PHP turns them into an array).
  json fields = json::object();
  json metadata = json::object();
  bool metadata_scalar = false;
  for (const auto& [name, part] : req.files) {
    if (name == "image") continue;
    if (name == "metadata") {
      metadata_scalar = true;
    } else if (name.rfind("metadata[", 0) == 0 && name.back() == ']') {
      metadata[name.substr(9, name.size() - 10)] = part.content;
    } else {
      fields[name] = part.content;
    }
  }
  if (!metadata.empty()) fields["metadata"] = metadata;
  const bool has_image = req.has_file("image");
  const std::string image = has_image ? req.get_file_value("image").content : "";
  FieldErrors errors;
  CheckImageFile(errors, "image", has_image, image, "jpeg,png,jpg,gif", 10240);
  RequestValidator v(fields);
  v.Check("rvm_id", "required|integer");
  std::optional<Machine> machine;
  if (!v.errors().Has("rvm_id")) {
    machine = MachineOf(ctx, fields["rvm_id"]);
    if (!machine) v.Fail("rvm_id", "The selected rvm id is invalid.");
  }
  errors.AddAll(v.errors());
  if (metadata_scalar) errors.Add("metadata", "The metadata field must be an array.");
  if (!errors.empty()) return RespondV2Validation(res, errors);

  const int64_t now = ctx.clock.WallMillis();
  const std::string type = DetectImageType(image);
  const std::string ext = type == "jpeg" ? "jpg" : type;
  const std::string mime = "image/" + type;
  json payload = {{"rvm_id", machine->id},
                  {"metadata", metadata},
                  {"image",
                   {{"sha256", Sha256Hex(image)},
                    {"size", image.size()},
                    {"type", type},
                    {"filename", req.get_file_value("image").filename}}}};
  const std::string meta_key =
      metadata.contains("item_id") ? metadata["item_id"].get<std::string>() : "";
  RecordRow row{machine->id, IdempotencyKey(req, meta_key), payload, now};
  auto stored = ctx.store.InsertRecord(RecordKind::kUpload, row, [&](int64_t) {
    const std::string filename =
        "detection_" + std::to_string(machine->id) + "_" + std::to_string(now / 1000) + "." + ext;
    json out = {{"success", true},
                {"message", "Image uploaded successfully"},
                {"data",
                 {{"filename", filename},
                  {"path", "detection-images/" + filename},
                  {"url", "/storage/detection-images/" + filename},
                  {"size", image.size()},
                  {"mime_type", mime},
                  {"rvm_id", machine->id}}}};
    return StoredResponse{200, out.dump()};
  });
  if (!stored.ok()) {
    return RespondJson(res, 500,
                       json{{"success", false},
                            {"message", "Upload failed"},
                            {"error", stored.status().message()}});
  }
  res.status = stored->response.status;
  res.set_content(stored->response.body, "application/json");
  if (stored->duplicate) res.set_header("X-Sim-Duplicate", "true");
}

void Metrics(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const int64_t rvm_id = std::strtoll(req.matches[1].str().c_str(), nullptr, 10);
  const json body = JsonBody(req);
  // The controller's only rule is `array`, and its failure surfaces as a 500.
  for (const char* f : {"system_metrics", "application_metrics", "network_info"}) {
    if (body.contains(f) && !body[f].is_null() && !body[f].is_object()) {
      return RespondJson(res, 500,
                         json{{"success", false},
                              {"error", "The " + AttributeName(f) + " field must be an array."}});
    }
  }
  RecordRow row{rvm_id, "", body, ctx.clock.WallMillis()};
  auto stored =
      ctx.store.InsertRecord(RecordKind::kMetrics, row, [](int64_t) { return StoredResponse{}; });
  if (!stored.ok()) {
    return RespondJson(res, 500, json{{"success", false}, {"error", stored.status().message()}});
  }
  RespondJson(res, 200, json{{"success", true}, {"message", "Metrics stored successfully"}});
}

void SelfClaim(ApiContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const json body = JsonBody(req);
  std::string key = req.get_header_value("X-API-Key");
  if (key.empty() && body.contains("api_key") && body["api_key"].is_string()) {
    key = body["api_key"].get<std::string>();
  }
  if (key.empty()) {
    return RespondJson(res, 401, json{{"success", false}, {"message", "Missing API key"}});
  }
  RequestValidator v(body);
  v.Check("rvm_id", "required|integer");
  v.Check("device_name", "nullable|string|max:255");
  v.Check("software_version", "nullable|string|max:255");
  v.Check("timezone", "nullable|string|max:100");
  std::optional<Machine> machine;
  if (!v.errors().Has("rvm_id")) {
    machine = MachineOf(ctx, body["rvm_id"]);
    if (!machine) v.Fail("rvm_id", "The selected rvm id is invalid.");
  }
  if (!v.ok()) return RespondLaravelValidation(res, v.errors());
  if (machine->api_key != key) {
    return RespondJson(res, 401,
                       json{{"success", false}, {"message", "Invalid API key or RVM not found"}});
  }
  std::string timezone = machine->timezone;
  if (body.contains("timezone") && body["timezone"].is_string()) {
    timezone = body["timezone"].get<std::string>();
    (void)ctx.store.SetMachineTimezone(machine->id, timezone);
  }
  const std::string name = body.contains("device_name") && body["device_name"].is_string()
                               ? body["device_name"].get<std::string>()
                               : machine->name;
  RecordRow row{machine->id, "", body, ctx.clock.WallMillis()};
  (void)ctx.store.InsertRecord(RecordKind::kClaim, row, [](int64_t) { return StoredResponse{}; });
  RespondJson(res, 200,
              json{{"success", true},
                   {"message", "RVM claimed successfully"},
                   {"data",
                    {{"rvm_id", machine->id},
                     {"name", name},
                     {"timezone", timezone},
                     {"timezone_offset", TimezoneOffset(timezone)}}}});
}

}  // namespace

std::string TimezoneOffset(const std::string& timezone) {
  static const std::map<std::string, std::string> kOffsets = {
      {"Asia/Jakarta", "+07:00"},
      {"Asia/Pontianak", "+07:00"},
      {"Asia/Makassar", "+08:00"},
      {"Asia/Jayapura", "+09:00"},
      {"Asia/Singapore", "+08:00"},
      {"Asia/Kuala_Lumpur", "+08:00"},
      {"Asia/Bangkok", "+07:00"},
      {"Asia/Tokyo", "+09:00"},
      {"Europe/London", "+00:00"},
      {"Europe/Berlin", "+01:00"},
      {"UTC", "+00:00"},
  };
  auto it = kOffsets.find(timezone);
  return it == kOffsets.end() ? "+00:00" : it->second;
}

void RegisterV2Routes(ApiContext& ctx, const AddRoute& add) {
  auto bind = [&ctx](void (*fn)(ApiContext&, const httplib::Request&, httplib::Response&)) {
    return [&ctx, fn](const httplib::Request& req, httplib::Response& res) { fn(ctx, req, res); };
  };
  add("POST", "/api/v2/auth/login", "POST /api/v2/auth/login", bind(Login));
  add("POST", "/api/v2/detection-results", "POST /api/v2/detection-results",
      bind(DetectionResults));
  add("POST", "/api/v2/upload", "POST /api/v2/upload", bind(Upload));
  add("POST", R"(/api/v2/rvms/(\d+)/metrics)", "POST /api/v2/rvms/{id}/metrics", bind(Metrics));
  add("POST", "/api/v2/rvm/self/claim", "POST /api/v2/rvm/self/claim", bind(SelfClaim));
}

}  // namespace rvm::sim
