#include "platform_sim/api_context.h"

#include <ctime>

namespace rvm::sim {

void RespondJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void RespondJson(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void RespondLaravelValidation(httplib::Response& res, const FieldErrors& errors) {
  nlohmann::ordered_json body;
  body["message"] = errors.Summary();
  body["errors"] = errors.ToJson();
  RespondJson(res, 422, body);
}

void RespondV2Validation(httplib::Response& res, const FieldErrors& errors) {
  nlohmann::ordered_json body;
  body["success"] = false;
  body["message"] = "Validation failed";
  body["errors"] = errors.ToJson();
  RespondJson(res, 422, body);
}

void RespondUnauthenticated(httplib::Response& res) {
  RespondJson(res, 401, nlohmann::json{{"message", "Unauthenticated."}});
}

nlohmann::json JsonBody(const httplib::Request& req) {
  nlohmann::json j = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) return j;
  // Laravel reads form-encoded bodies into the same input bag.
  nlohmann::json form = nlohmann::json::object();
  if (req.get_header_value("Content-Type").find("application/x-www-form-urlencoded") == 0) {
    for (const auto& [key, value] : req.params) form[key] = value;
  }
  return form;
}

std::optional<User> BearerUser(ApiContext& ctx, const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) {
    return std::nullopt;
  }
  auto token = ctx.store.LookupToken(header.substr(kPrefix.size()));
  if (!token || token->revoked) return std::nullopt;
  if (ctx.options.token_ttl_ms > 0 &&
      ctx.clock.WallMillis() - token->issued_ms >= ctx.options.token_ttl_ms) {
    return std::nullopt;
  }
  return ctx.store.UserById(token->user_id);
}

std::string IdempotencyKey(const httplib::Request& req, const std::string& fallback) {
  std::string key = req.get_header_value("Idempotency-Key");
  return key.empty() ? fallback : key;
}

std::string IsoTime(int64_t wall_ms) {
  const std::time_t secs = static_cast<std::time_t>(wall_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>((wall_ms % 1000) * 1000));
  return buf;
}

}  // namespace rvm::sim
