#include "platform_sim/platform_sim.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <utility>

#include "platform_sim/api_context.h"
#include "platform_sim/connection_reset.h"
#include "platform_sim/edge_v1_api.h"
#include "platform_sim/v2_api.h"

namespace rvm::sim {
namespace {

using nlohmann::json;

// Whether the connection served by this worker thread has carried a device
// API request yet. httplib runs all requests of one connection on one worker,
// inside one task, so a thread-local reset at task start is per connection.
thread_local bool t_connection_has_api = false;

// httplib's thread pool, counting accepted connections: the server enqueues
// exactly one task per accepted socket.
class CountingTaskQueue final : public httplib::TaskQueue {
 public:
  CountingTaskQueue(size_t threads, RequestStats& stats) : pool_(threads), stats_(stats) {}

  void enqueue(std::function<void()> fn) override {
    stats_.ConnectionOpened();
    pool_.enqueue([this, fn = std::move(fn)] {
      t_connection_has_api = false;
      fn();
      stats_.ConnectionClosed();
    });
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  RequestStats& stats_;
};

constexpr const char* kHtmlPage =
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";

bool AcceptsJson(const httplib::Request& req) {
  return req.get_header_value("Accept").find("json") != std::string::npos;
}

std::optional<RecordKind> RecordKindByName(const std::string& name) {
  for (RecordKind k : {RecordKind::kDeposit, RecordKind::kDetectionResult, RecordKind::kUpload,
                       RecordKind::kHeartbeat, RecordKind::kMetrics, RecordKind::kClaim}) {
    std::string table = RecordTableName(k);
    std::replace(table.begin(), table.end(), '_', '-');
    if (table == name) return k;
  }
  return std::nullopt;
}

}  // namespace

PlatformSim::PlatformSim(Options options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SteadyClock::Instance()),
      faults_(options_.faults) {}

PlatformSim::~PlatformSim() { Stop(); }

std::string PlatformSim::base_url() const {
  const std::string host = options_.bind_address == "0.0.0.0" || options_.bind_address.empty()
                               ? "127.0.0.1"
                               : options_.bind_address;
  return "http://" + host + ":" + std::to_string(port_);
}

Result<int> PlatformSim::Start() {
  if (server_) return InvalidArgument("platform sim: already started");
  auto store = SimStore::Open(options_.db_path);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  std::vector<UserSeed> users = options_.users;
  // The system donation account that guest and offline deposits are credited
  // to (platform-api.md B5); its empty password never matches a login.
  users.push_back({-1, "system-donation@myrvm.local", "", "System Donation", "system"});
  RVM_RETURN_IF_ERROR(store_->Seed(options_.machines, users));

  server_ = std::make_unique<httplib::Server>();
  const size_t threads = static_cast<size_t>(std::max(1, options_.worker_threads));
  server_->new_task_queue = [this, threads] { return new CountingTaskQueue(threads, stats_); };
  // Without TCP_NODELAY a response written in two parts waits on the peer's
  // delayed ACK, adding ~40 ms to every request on loopback.
  server_->set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second sim
  // bind the same port and silently take half the traffic.
  socket_t listen_sock = INVALID_SOCKET;
  server_->set_socket_options([&listen_sock](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_sock = sock;
  });
  server_->set_keep_alive_timeout(options_.keep_alive_timeout_s);
  server_->set_keep_alive_max_count(
      static_cast<size_t>(std::max(1, options_.keep_alive_max_requests)));

  int port = -1;
  if (options_.port == 0) {
    port = server_->bind_to_any_port(options_.bind_address);
  } else if (server_->bind_to_port(options_.bind_address, options_.port)) {
    port = options_.port;
  }
  if (port <= 0) {
    server_.reset();
    return Unavailable("platform sim: cannot listen on " + options_.bind_address + ":" +
                       std::to_string(options_.port));
  }
  port_ = port;
  // httplib listens with a backlog of 5: a client opening a window of
  // connections at once on a busy machine (before the accept thread runs)
  // overflows it, and the kernel drops the SYN, which costs a 1 s
  // retransmission. Listening again raises the backlog in place.
  if (listen_sock != INVALID_SOCKET) ::listen(listen_sock, SOMAXCONN);
  server_->set_socket_options([](socket_t) {});  // drops the reference to listen_sock
  ctx_ = std::make_unique<ApiContext>(ApiContext{*store_, options_, clock_, base_url()});

  AddRoute add = [this](const std::string& method, const std::string& pattern,
                        const std::string& route, ApiHandler handler) {
    auto wrapped = [this, route, handler = std::move(handler)](const httplib::Request& req,
                                                               httplib::Response& res) {
      if (!t_connection_has_api) {
        t_connection_has_api = true;
        stats_.ApiConnectionSeen();
      }
      const FaultDecision d = faults_.Decide(req.path);
      if (d.latency_ms > 0) InterruptibleSleep(d.latency_ms);
      auto run = [&] {
        try {
          handler(req, res);
        } catch (const std::exception& e) {
          RespondJson(res, 500, json{{"message", "Server Error"}, {"exception", e.what()}});
        }
      };
      switch (d.kind) {
        case FaultKind::kReset:
          if (d.process_before_fault) run();
          // Counted first: the client may look at the stats as soon as it sees the reset.
          stats_.CountResponse(route, 0);
          (void)ResetTcpConnection(req.local_port, req.remote_addr, req.remote_port);
          return;
        case FaultKind::kHang:
          if (d.process_before_fault) {
            run();
          } else {
            RespondJson(res, 504, json{{"message", "Gateway Timeout"}});
          }
          InterruptibleSleep(d.hang_ms);
          break;
        case FaultKind::kRateLimit:
          RespondJson(res, 429, json{{"message", "Too Many Attempts."}});
          res.set_header("Retry-After", std::to_string(d.retry_after_s));
          break;
        case FaultKind::kError:
          RespondJson(res, d.status,
                      json{{"message", d.status == 503 ? "Service Unavailable" : "Server Error"}});
          break;
        case FaultKind::kHtmlBody:
          res.status = d.status;
          res.set_content(kHtmlPage, "text/html; charset=UTF-8");
          break;
        case FaultKind::kMalformedJson: {
          run();
          // A proper prefix of a JSON object or array never parses.
          const std::string body = res.body;
          res.status = 200;
          res.set_content(body.substr(0, std::max<size_t>(1, body.size() / 2)), "application/json");
          break;
        }
        case FaultKind::kNone:
          run();
          break;
      }
      if (options_.redirect_without_json_accept && !AcceptsJson(req)) {
        const bool sanctum_401 =
            res.status == 401 && res.body == R"({"message":"Unauthenticated."})";
        if (res.status == 422 || sanctum_401) {
          res.status = 302;
          res.set_header("Location", base_url() + (sanctum_401 ? "/login" : "/"));
          res.set_content("", "text/html; charset=UTF-8");
        }
      }
      stats_.CountResponse(route, res.status);
    };
    if (method == "POST") {
      server_->Post(pattern, std::move(wrapped));
    } else {
      server_->Get(pattern, std::move(wrapped));
    }
  };
  RegisterEdgeV1Routes(*ctx_, add);
  RegisterV2Routes(*ctx_, add);
  RegisterControlRoutes();
  server_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      RespondJson(res, 404, json{{"message", "The route " + req.path + " could not be found."}});
      if (req.path.rfind("/sim/", 0) != 0) stats_.CountResponse("UNMATCHED", 404);
    }
  });

  {
    std::lock_guard lock(stop_mu_);
    stopping_ = false;
  }
  listener_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs, so a Stop() right
  // after Start() would otherwise leave the listener blocked in accept().
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port_;
}

void PlatformSim::Stop() {
  if (!server_) return;
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  server_->stop();
  if (listener_.joinable()) listener_.join();
  server_.reset();
}

void PlatformSim::InterruptibleSleep(int64_t ms) {
  std::unique_lock lock(stop_mu_);
  stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
}

json PlatformSim::Stats() {
  json out = stats_.ToJson();
  if (!store_) return out;  // not started
  json stored = json::object();
  for (const auto& [table, n] : store_->StoredCounts()) stored[table] = n;
  json duplicates = json::object();
  int64_t total = 0;
  for (const auto& [kind, n] : store_->DuplicateCounts()) {
    duplicates[kind] = n;
    total += n;
  }
  duplicates["total"] = total;
  json injected = json::object();
  for (const auto& [kind, n] : faults_.InjectedCounts()) injected[kind] = n;
  injected["tokens_revoked"] = tokens_revoked_.load();
  out["stored"] = std::move(stored);
  out["duplicates"] = std::move(duplicates);
  out["faults_injected"] = std::move(injected);
  return out;
}

json PlatformSim::Deposits() { return store_->ListRecords(RecordKind::kDeposit); }
json PlatformSim::Transactions() { return store_->ListTransactions(); }

int64_t PlatformSim::ExpireTokens() {
  const int64_t n = store_->RevokeAllTokens();
  tokens_revoked_ += n;
  return n;
}

Result<int64_t> PlatformSim::QueueCommand(int64_t machine_id, const std::string& action,
                                          const json& payload) {
  if (action.empty()) return InvalidArgument("command: 'action' must be a non-empty string");
  if (!store_->MachineById(machine_id)) {
    return NotFound("command: machine " + std::to_string(machine_id) + " does not exist");
  }
  auto id = store_->QueueCommand(machine_id, action, payload, clock_.WallMillis());
  if (!id.ok()) return id.status();
  // The server flips the machine status as it enqueues these two.
  if (action == "MAINTENANCE") (void)store_->SetMachineStatus(machine_id, "maintenance");
  if (action == "EXIT_MAINTENANCE") (void)store_->SetMachineStatus(machine_id, "offline");
  return id;
}

Status PlatformSim::Reset() {
  RVM_RETURN_IF_ERROR(store_->ClearData());
  stats_.ResetRequests();
  faults_.ResetCounts();
  tokens_revoked_ = 0;
  return Status::Ok();
}

void PlatformSim::RegisterControlRoutes() {
  auto bad_request = [](httplib::Response& res, const std::string& message) {
    RespondJson(res, 400, json{{"error", message}});
  };
  server_->Get("/sim/health", [](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, json{{"status", "ok"}});
  });
  server_->Get("/sim/stats", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, Stats());
  });
  server_->Get("/sim/faults", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, FaultSettingsToJson(faults_.Get()));
  });
  server_->Post("/sim/faults",
                [this, bad_request](const httplib::Request& req, httplib::Response& res) {
                  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
                  if (body.is_discarded() || !body.is_object()) {
                    return bad_request(res, "fault settings: body must be a JSON object");
                  }
                  FaultSettings base = faults_.Get();
                  if (body.value("clear", false)) base = FaultSettings{};
                  body.erase("clear");
                  auto parsed = ParseFaultSettings(body, base);
                  if (!parsed.ok()) return bad_request(res, parsed.status().message());
                  faults_.Set(*parsed);
                  json out = FaultSettingsToJson(*parsed);
                  if (body.value("expire_tokens", false)) out["tokens_revoked"] = ExpireTokens();
                  RespondJson(res, 200, out);
                });
  server_->Get("/sim/commands", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(
        res, 200,
        json{{"commands", store_->ListCommands()}, {"results", store_->ListCommandResults()}});
  });
  server_->Post(
      "/sim/commands", [this, bad_request](const httplib::Request& req, httplib::Response& res) {
        const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
        if (body.is_discarded() || !body.is_object()) {
          return bad_request(res, "command: body must be a JSON object");
        }
        int64_t machine_id = 0;
        if (body.contains("machine_id") && body["machine_id"].is_number_integer()) {
          machine_id = body["machine_id"].get<int64_t>();
        } else if (body.contains("api_key") && body["api_key"].is_string()) {
          auto m = store_->MachineByKey(body["api_key"].get<std::string>());
          if (!m) return bad_request(res, "command: no machine has that 'api_key'");
          machine_id = m->id;
        } else {
          return bad_request(res, "command: 'machine_id' (integer) or 'api_key' is required");
        }
        if (!body.contains("action") || !body["action"].is_string()) {
          return bad_request(res, "command: 'action' must be a non-empty string");
        }
        auto id = QueueCommand(machine_id, body["action"].get<std::string>(),
                               body.value("payload", json(nullptr)));
        if (!id.ok()) return bad_request(res, id.status().message());
        RespondJson(res, 201, json{{"id", *id}, {"machine_id", machine_id}});
      });
  server_->Post(R"(/sim/machines/(-?\d+)/status)",
                [this, bad_request](const httplib::Request& req, httplib::Response& res) {
                  const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
                  if (body.is_discarded() || !body.is_object() || !body.contains("status") ||
                      !body["status"].is_string()) {
                    return bad_request(res, "machine status: body must be {\"status\": \"...\"}");
                  }
                  const int64_t id = std::stoll(req.matches[1].str());
                  Status st = store_->SetMachineStatus(id, body["status"].get<std::string>());
                  if (!st.ok()) return RespondJson(res, 404, json{{"error", st.message()}});
                  RespondJson(res, 200, json{{"id", id}, {"status", body["status"]}});
                });
  server_->Get("/sim/machines", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, store_->ListMachines());
  });
  server_->Get("/sim/devices", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, store_->ListEdgeDevices());
  });
  server_->Get("/sim/transactions", [this](const httplib::Request&, httplib::Response& res) {
    RespondJson(res, 200, store_->ListTransactions());
  });
  server_->Get(R"(/sim/([a-z-]+))", [this](const httplib::Request& req, httplib::Response& res) {
    auto kind = RecordKindByName(req.matches[1].str());
    if (!kind) {
      return RespondJson(res, 404, json{{"error", "no sim listing " + req.path}});
    }
    RespondJson(res, 200, store_->ListRecords(*kind));
  });
  server_->Post("/sim/reset", [this](const httplib::Request&, httplib::Response& res) {
    Status st = Reset();
    if (!st.ok()) return RespondJson(res, 500, json{{"error", st.message()}});
    RespondJson(res, 200, json{{"status", "reset"}});
  });
}

}  // namespace rvm::sim
