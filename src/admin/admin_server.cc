#include "admin/admin_server.h"

#include <httplib.h>

#include <charconv>
#include <cstring>

#include "admin/dashboard_page.h"
#include "admin/status_json.h"
#include "admin/token_auth.h"
#include "config/config_validate.h"

namespace rvm::admin {
namespace {

using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr const char* kJpeg = "image/jpeg";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(body.dump(), kJson);
}

void ReplyError(httplib::Response& res, int status, const std::string& message) {
  Reply(res, status, {{"error", message}});
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void ReplyStatus(httplib::Response& res, const Status& s) {
  if (s.ok()) {
    Reply(res, 200, {{"ok", true}});
  } else {
    ReplyError(res, HttpStatusOf(s), s.message());
  }
}

// An integer query parameter in [lo, hi]; `fallback` when absent.
Result<int> IntParam(const httplib::Request& req, const char* name, int fallback, int lo, int hi) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return InvalidArgument(std::string(name) + " must be an integer in [" + std::to_string(lo) +
                           ", " + std::to_string(hi) + "], not '" + text + "'");
  }
  return v;
}

// A JSON object body, or an error naming what is wrong with it.
Result<json> JsonBody(const httplib::Request& req) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return InvalidArgument("request body must be a JSON object");
  return body;
}

// A request the listener has read whole, as httplib reads a socket; what
// httplib writes goes into `out`.
class BufferStream final : public httplib::Stream {
 public:
  BufferStream(const std::string& request, const Peer& peer) : in_(request), peer_(peer) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - offset_);
    std::memcpy(ptr, in_.data() + offset_, n);
    offset_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_.remote_ip;
    port = peer_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_.local_ip;
    port = peer_.local_port;
  }
  socket_t socket() const override { return INVALID_SOCKET; }

  std::string out;

 private:
  const std::string& in_;
  const Peer& peer_;
  size_t offset_ = 0;
};

}  // namespace

// httplib's routing and response writing, without its sockets and threads.
class AdminServer::Router : public httplib::Server {
 public:
  HttpAnswer Serve(const std::string& request, const Peer& peer) {
    BufferStream stream(request, peer);
    bool close = false;
    process_request(stream, /*close_connection=*/false, close, nullptr);
    // The listener has already asked for the body when the client waited for it.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (std::string_view(stream.out).starts_with(kContinue)) stream.out.erase(0, kContinue.size());
    return {std::move(stream.out), close};
  }
};

struct AdminServer::Listener {
  Router router;
  std::unique_ptr<HttpListener> http;
};

AdminServerOptions AdminServerOptionsFromConfig(const Config& config) {
  AdminServerOptions o;
  o.bind_address = config.admin.bind_address;
  o.port = config.admin.port;
  o.token = config.admin.token.value;
  o.v2_probes = config.uplink.contract == "v2";
  o.pulse_port = config.admin.pulse_port;
  o.probe_port = config.admin.probe_port;
  return o;
}

AdminServer::AdminServer(AdminServerOptions options, AdminServerParts parts)
    : options_(std::move(options)), parts_(parts) {}

AdminServer::~AdminServer() { Stop(); }

std::string AdminServer::url() const {
  return "http://" + options_.bind_address + ":" + std::to_string(port_);
}

Status AdminServer::Start() {
  if (parts_.control == nullptr || parts_.metrics == nullptr || parts_.system == nullptr ||
      parts_.clock == nullptr) {
    return InvalidArgument("admin server: control, metrics, system and clock are all required");
  }
  if (!listeners_.empty()) return InvalidArgument("admin server: already started");
  Status s = Listen("admin.port", options_.port, options_.admin_threads, {"/healthz", "/readyz"},
                    &AdminServer::RouteAdmin, &port_);
  if (s.ok() && options_.v2_probes) {
    s = Listen("admin.pulse_port", options_.pulse_port, options_.probe_threads, {},
               &AdminServer::RoutePulse, &pulse_port_);
  }
  if (s.ok() && options_.v2_probes) {
    s = Listen("admin.probe_port", options_.probe_port, options_.probe_threads, {},
               &AdminServer::RouteProbe, &probe_port_);
  }
  if (!s.ok()) Stop();
  return s;
}

Status AdminServer::Listen(const char* key, int requested, int threads,
                           std::vector<std::string> priority_paths,
                           void (AdminServer::*route)(httplib::Server&), int* bound) {
  auto l = std::make_unique<Listener>();
  Router& router = l->router;
  router.set_keep_alive_timeout(
      std::chrono::duration_cast<std::chrono::seconds>(options_.http.idle_timeout).count());
  // Called for every status >= 400; fills in a JSON body where a handler left none.
  router.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        ReplyError(res, res.status, res.status == 404 ? "no such endpoint" : "request failed");
        return httplib::Server::HandlerResponse::Handled;
      }));
  router.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          what = ex.what();
        } catch (...) {
        }
        ReplyError(res, 500, "internal error: " + what);
      });
  (this->*route)(router);

  HttpListenerOptions o = options_.http;
  o.bind_address = options_.bind_address;
  o.port = requested;
  o.workers = threads;
  o.priority_paths = std::move(priority_paths);
  l->http = std::make_unique<HttpListener>(
      o, [&router](const std::string& request, const Peer& peer) {
        return router.Serve(request, peer);
      });
  if (Status s = l->http->Start(); !s.ok()) {
    return Unavailable(std::string(key) + ": " + s.message());
  }
  *bound = l->http->port();
  listeners_.push_back(std::move(l));
  return Status::Ok();
}

const HttpListenerCounters* AdminServer::admin_counters() const {
  return listeners_.empty() ? nullptr : &listeners_.front()->http->counters();
}

void AdminServer::Stop() {
  for (auto& l : listeners_) l->http->Stop();
  listeners_.clear();
  port_ = pulse_port_ = probe_port_ = -1;
}

void AdminServer::RouteAdmin(httplib::Server& server) {
  // Captured by value: pointers to what outlives the server.
  ops::ServiceControl* control = parts_.control;
  AdminMetrics* metrics = parts_.metrics;
  SystemProbe* system = parts_.system;
  const std::string* token = &options_.token;
  // Beyond loopback the list of decisions (what was deposited, when, with
  // evidence links) is the token's too, as the images always are.
  const bool beyond_loopback = !IsLoopbackAddress(options_.bind_address);

  // True when the request carries the admin token; otherwise answers it.
  // `query_allowed`: the token may come as ?token=, which only links and
  // image URLs need (a URL ends up in histories, proxies and logs); never on
  // a state-changing route.
  auto check = [token](const httplib::Request& req, httplib::Response& res, bool query_allowed) {
    const std::string authorization = req.get_header_value("Authorization");
    const std::string offered_query = req.get_param_value("token");
    const std::string query = query_allowed ? offered_query : "";
    const bool safe_method = req.method == "GET" || req.method == "HEAD";
    const std::string cookie =
        safe_method ? std::string(CookieValue(req.get_header_value("Cookie"), kTokenCookie)) : "";
    switch (CheckToken({BearerToken(authorization), query, cookie}, *token)) {
      case AuthResult::kOk:
        return true;
      case AuthResult::kMissing:
        res.set_header("WWW-Authenticate", "Bearer realm=\"rvm-edge admin\"");
        if (!offered_query.empty()) {
          ReplyError(res, 401,
                     "the admin token is not accepted as ?token= on " + req.method + " " +
                         req.path + " (only on the dashboard link and images); send it as "
                         "Authorization: Bearer");
        } else {
          ReplyError(res, 401,
                     "admin token required (Authorization: Bearer, or the dashboard's cookie "
                     "on GET)");
        }
        return false;
      case AuthResult::kWrong:
        res.set_header("WWW-Authenticate",
                       "Bearer realm=\"rvm-edge admin\", error=\"invalid_token\"");
        ReplyError(res, 401, "admin token is wrong");
        return false;
      case AuthResult::kNotConfigured:
        ReplyError(res, 403, "admin.token is not configured: this endpoint is disabled");
        return false;
    }
    return false;
  };
  auto authorized = [check](const httplib::Request& req, httplib::Response& res) {
    return check(req, res, /*query_allowed=*/false);
  };
  auto authorized_image = [check](const httplib::Request& req, httplib::Response& res) {
    return check(req, res, /*query_allowed=*/true);
  };

  server.Get("/", [token](const httplib::Request& req, httplib::Response& res) {
    // A valid ?token= is kept in a cookie so the page's image requests carry it.
    const std::string query = req.get_param_value("token");
    if (!query.empty() && CheckToken({{}, query, {}}, *token) == AuthResult::kOk) {
      res.set_header("Set-Cookie", std::string(kTokenCookie) + "=" + query +
                                       "; Path=/; HttpOnly; SameSite=Strict");
    }
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'unsafe-inline'; "
                   "script-src 'unsafe-inline'; connect-src 'self'");
    res.set_content(std::string(DashboardHtml()), "text/html; charset=utf-8");
  });

  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, {{"status", "alive"}});
  });

  server.Get("/readyz", [control](const httplib::Request&, httplib::Response& res) {
    const std::vector<ops::ReadinessCheck> checks = control->Readiness();
    json body = ReadinessToJson(checks);
    Reply(res, body["ready"].get<bool>() ? 200 : 503, body);
  });

  server.Get("/metrics",
             [control, metrics, system](const httplib::Request&, httplib::Response& res) {
               const std::string text = metrics->Render(control->Status(), system->Sample());
               res.set_header("Cache-Control", "no-store");
               res.set_content(text, kPrometheusText);
             });

  server.Get("/api/status", [control, metrics, system](const httplib::Request&,
                                                       httplib::Response& res) {
    Reply(res, 200, StatusToJson(control->Status(), metrics->StageLatencies(), system->Sample()));
  });

  server.Get("/api/auth", [authorized](const httplib::Request& req, httplib::Response& res) {
    if (authorized(req, res)) Reply(res, 200, {{"ok", true}});
  });

  server.Post("/api/trigger",
              [authorized, control](const httplib::Request& req, httplib::Response& res) {
                if (!authorized(req, res)) return;
                control->Trigger();
                Reply(res, 200, {{"ok", true}});
              });

  server.Post("/api/maintenance",
              [authorized, control](const httplib::Request& req, httplib::Response& res) {
                if (!authorized(req, res)) return;
                Result<json> body = JsonBody(req);
                if (!body.ok()) return ReplyError(res, 400, body.status().message());
                const json& b = *body;
                if (!b.contains("on") || !b["on"].is_boolean()) {
                  return ReplyError(res, 400, "\"on\" must be true or false");
                }
                std::string reason = "admin API";
                if (b.contains("reason")) {
                  if (!b["reason"].is_string()) {
                    return ReplyError(res, 400, "\"reason\" must be a string");
                  }
                  reason = b["reason"].get<std::string>();
                }
                ReplyStatus(res, control->SetMaintenance(b["on"].get<bool>(), reason));
              });

  server.Post("/api/conf_threshold",
              [authorized, control](const httplib::Request& req, httplib::Response& res) {
                if (!authorized(req, res)) return;
                Result<json> body = JsonBody(req);
                if (!body.ok()) return ReplyError(res, 400, body.status().message());
                if (!body->contains("threshold") || !(*body)["threshold"].is_number()) {
                  return ReplyError(res, 400, "\"threshold\" must be a number in [0, 1]");
                }
                ReplyStatus(res, control->SetConfThreshold((*body)["threshold"].get<double>()));
              });

  server.Post("/api/restart",
              [authorized, control](const httplib::Request& req, httplib::Response& res) {
                if (!authorized(req, res)) return;
                ReplyStatus(res, control->RestartPipeline());
              });

  server.Get("/api/snapshot.jpg",
             [authorized_image, control](const httplib::Request& req, httplib::Response& res) {
               if (!authorized_image(req, res)) return;
               std::string jpeg = control->SnapshotJpeg();
               if (jpeg.empty()) return ReplyError(res, 404, "no frame has been detected yet");
               res.set_header("Cache-Control", "no-store");
               res.set_content(std::move(jpeg), kJpeg);
             });

  const int default_limit = options_.recent_decisions;
  server.Get("/api/decisions", [authorized, control, default_limit, beyond_loopback](
                                   const httplib::Request& req, httplib::Response& res) {
               if (beyond_loopback && !authorized(req, res)) return;
               Result<int> limit = IntParam(req, "limit", default_limit, 1, 200);
               if (!limit.ok()) return ReplyError(res, 400, limit.status().message());
               Reply(res, 200, DecisionsToJson(control->RecentDecisions(*limit)));
             });

  server.Get(R"(/api/decisions/([^/]+)/thumbnail\.jpg)",
             [authorized_image, control](const httplib::Request& req, httplib::Response& res) {
               if (!authorized_image(req, res)) return;
               const std::string id = req.matches[1];
               for (ops::RecentDecision& d : control->RecentDecisions(200)) {
                 if (d.decision.item_id != id) continue;
                 if (d.thumbnail_jpeg.empty()) {
                   return ReplyError(res, 404, "item " + id + " has no thumbnail");
                 }
                 res.set_header("Cache-Control", "private, max-age=3600");
                 return res.set_content(std::move(d.thumbnail_jpeg), kJpeg);
               }
               ReplyError(res, 404, "item " + id + " is not among the recent decisions");
             });

  server.Get("/api/logs",
             [authorized, control](const httplib::Request& req, httplib::Response& res) {
               if (!authorized(req, res)) return;
               Result<int> lines = IntParam(req, "lines", 100, 1, 10000);
               if (!lines.ok()) return ReplyError(res, 400, lines.status().message());
               Reply(res, 200, {{"lines", control->RecentLogs(*lines)}});
             });
}

void AdminServer::RoutePulse(httplib::Server& server) {
  server.Get("/pulse", [this](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200,
          PulseJson(parts_.control->Status(), parts_.control->Readiness(),
                    parts_.clock->WallMillis()));
  });
}

void AdminServer::RouteProbe(httplib::Server& server) {
  server.Get("/api/health-check", [this](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200,
          HealthCheckJson(parts_.control->Status(), parts_.control->Readiness(),
                          parts_.clock->WallMillis()));
  });
  server.Get("/api/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::optional<int64_t> last;
    for (const ops::RecentDecision& d : parts_.control->RecentDecisions(20)) {
      if (d.decision.accepted) {
        last = d.decision.decided_ms;
        break;
      }
    }
    Reply(res, 200, ProbeMetricsJson(parts_.control->Status(), parts_.system->Sample(), last));
  });
}

}  // namespace rvm::admin
