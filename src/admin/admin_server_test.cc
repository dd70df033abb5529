#include "admin/admin_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "admin/dashboard_page.h"
#include "admin/fake_service_control.h"

namespace rvm::admin {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "tok-123";

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(Options()); }

  static AdminServerOptions Options() {
    AdminServerOptions o;
    o.port = 0;
    o.token = kToken;
    return o;
  }

  void StartServer(AdminServerOptions o) {
    server_.reset();
    server_ =
        std::make_unique<AdminServer>(o, AdminServerParts{&control_, &metrics_, &system_, &clock_});
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Get(const std::string& path, const std::string& bearer = "") {
    httplib::Headers h;
    if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
    return client_->Get(path.c_str(), h);
  }
  httplib::Result Post(const std::string& path, const std::string& body,
                       const std::string& bearer = "") {
    httplib::Headers h;
    if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
    return client_->Post(path.c_str(), h, body, "application/json");
  }
  static json Body(const httplib::Result& r) { return json::parse(r->body); }

  FakeServiceControl control_;
  AdminMetrics metrics_;
  SystemProbe system_{"/", "."};
  FakeClock clock_{1'700'000'000'000};
  std::unique_ptr<AdminServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(AdminServerTest, HealthzAnswersWithoutAToken) {
  auto r = Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["status"], "alive");
}

TEST_F(AdminServerTest, ReadyzTurnsUnavailableWhenTheFrameSourceStopsDelivering) {
  auto r = Get("/readyz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["ready"], true);

  control_.Update([](ops::ServiceStatus& s) { s.last_frame_age_ms = 60'000; });
  r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  const json b = Body(r);
  EXPECT_EQ(b["ready"], false);
  EXPECT_EQ(b["failing"], json::array({"frame_source"}));
  EXPECT_EQ(b["checks"].size(), 4u);
  EXPECT_THAT(b["checks"][1]["detail"].get<std::string>(), HasSubstr("60000 ms"));

  control_.Update([](ops::ServiceStatus& s) { s.last_frame_age_ms = 30; });
  EXPECT_EQ(Get("/readyz")->status, 200);
}

TEST_F(AdminServerTest, ReadyzNamesTheOutboxWhenItStopsAccepting) {
  control_.Update([](ops::ServiceStatus& s) { s.outbox->accepting = false; });
  auto r = Get("/readyz");
  EXPECT_EQ(r->status, 503);
  // Items are refused while the outbox cannot record them.
  EXPECT_EQ(Body(r)["failing"], json::array({"outbox", "accepting"}));
}

TEST_F(AdminServerTest, MetricsAreServedAsPrometheusText) {
  metrics_.OnStage("inference", 40);
  auto r = Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r->body, HasSubstr("\nrvm_frames_captured_total 412345\n"));
  EXPECT_THAT(r->body,
              HasSubstr("rvm_pipeline_stage_duration_seconds_count{stage=\"inference\"} 1\n"));
  EXPECT_THAT(r->body, HasSubstr("rvm_process_resident_memory_bytes "));

  control_.Update([](ops::ServiceStatus& s) { s.pipeline.frames_sampled = 500'000; });
  EXPECT_THAT(Get("/metrics")->body, HasSubstr("\nrvm_frames_captured_total 500000\n"));
}

TEST_F(AdminServerTest, StatusSummarisesTheService) {
  metrics_.OnStage("capture", 2);
  auto r = Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const json b = Body(r);
  EXPECT_EQ(b["machine_id"], "rvm-edge-dev");
  EXPECT_EQ(b["pipeline"]["frames_captured"], 412'345);
  EXPECT_EQ(b["pipeline"]["frame_queue"]["depth"], 1);
  EXPECT_EQ(b["outbox"]["pending"], 7);
  EXPECT_EQ(b["uplink"]["circuit"], "closed");
  EXPECT_EQ(b["stages"][0]["stage"], "capture");
  EXPECT_GT(b["system"]["rss_bytes"].get<int64_t>(), 0);
}

TEST_F(AdminServerTest, TriggerNeedsTheToken) {
  EXPECT_EQ(Post("/api/trigger", "{}")->status, 401);
  EXPECT_EQ(Post("/api/trigger", "{}", "wrong")->status, 401);
  EXPECT_EQ(control_.triggers(), 0);
  EXPECT_EQ(Post("/api/trigger", "{}", kToken)->status, 200);
  EXPECT_EQ(control_.triggers(), 1);
}

TEST_F(AdminServerTest, ATokenInTheQueryIsRefusedOnEveryStateChangingRoute) {
  for (const char* path : {"/api/trigger", "/api/maintenance", "/api/conf_threshold",
                           "/api/restart"}) {
    SCOPED_TRACE(path);
    auto r = Post(std::string(path) + "?token=" + kToken, R"({"on":true,"threshold":0.3})");
    EXPECT_EQ(r->status, 401);
    EXPECT_THAT(Body(r)["error"].get<std::string>(),
                HasSubstr(std::string("not accepted as ?token= on POST ") + path));
  }
  EXPECT_EQ(control_.triggers(), 0);
  EXPECT_EQ(control_.restarts(), 0);
  EXPECT_FALSE(control_.Status().maintenance);
}

TEST_F(AdminServerTest, ATokenInTheQueryIsAcceptedOnlyOnImagesAndTheDashboardLink) {
  control_.SetSnapshot(MakeTestJpeg(64, 48, 1));
  control_.AddDecision(RealisticDecision(1, 1'700'000'000'000, true));
  const std::string q = std::string("?token=") + kToken;
  const std::string thumb =
      "/api/decisions/" + control_.RecentDecisions(1)[0].decision.item_id + "/thumbnail.jpg";
  EXPECT_EQ(Get("/api/snapshot.jpg" + q)->status, 200);
  EXPECT_EQ(Get(thumb + q)->status, 200);
  EXPECT_EQ(Get("/" + q)->status, 200);
  EXPECT_EQ(Get("/api/logs" + q)->status, 401);
  EXPECT_EQ(Get("/api/auth" + q)->status, 401);
}

TEST_F(AdminServerTest, BeyondLoopbackTheDecisionListNeedsTheToken) {
  control_.AddDecision(RealisticDecision(1, 1'700'000'000'000, true));
  EXPECT_EQ(Get("/api/decisions")->status, 200) << "on loopback it is open";
  AdminServerOptions o = Options();
  o.bind_address = "0.0.0.0";
  StartServer(o);
  EXPECT_EQ(Get("/api/decisions")->status, 401);
  EXPECT_EQ(Get(std::string("/api/decisions?token=") + kToken)->status, 401);
  auto r = Get("/api/decisions", kToken);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["decisions"].size(), 1u);
  // Status and metrics stay open for monitoring.
  EXPECT_EQ(Get("/api/status")->status, 200);
  EXPECT_EQ(Get("/metrics")->status, 200);
}

TEST_F(AdminServerTest, TheCookieIsHonouredOnGetButNotOnPost) {
  control_.SetSnapshot(MakeTestJpeg(64, 48, 1));
  httplib::Headers cookie = {{"Cookie", std::string("rvm_admin_token=") + kToken}};
  EXPECT_EQ(client_->Get("/api/snapshot.jpg", cookie)->status, 200);
  EXPECT_EQ(client_->Post("/api/trigger", cookie, "{}", "application/json")->status, 401);
  EXPECT_EQ(control_.triggers(), 0);
}

TEST_F(AdminServerTest, EveryProtectedEndpointRefusesMissingAndWrongTokens) {
  control_.SetSnapshot(MakeTestJpeg(64, 48, 1));
  control_.AddDecision(RealisticDecision(1, 1'700'000'000'000, true));
  const std::string thumb =
      "/api/decisions/" + control_.RecentDecisions(1)[0].decision.item_id + "/thumbnail.jpg";
  struct Endpoint {
    std::string method, path, body;
  };
  const std::vector<Endpoint> endpoints = {
      {"POST", "/api/trigger", "{}"},
      {"POST", "/api/maintenance", R"({"on":false})"},
      {"POST", "/api/conf_threshold", R"({"threshold":0.3})"},
      {"POST", "/api/restart", "{}"},
      {"GET", "/api/snapshot.jpg", ""},
      {"GET", thumb, ""},
      {"GET", "/api/logs?lines=5", ""},
      {"GET", "/api/auth", ""},
  };
  for (const Endpoint& e : endpoints) {
    SCOPED_TRACE(e.method + " " + e.path);
    auto call = [&](const std::string& bearer) {
      return e.method == "GET" ? Get(e.path, bearer) : Post(e.path, e.body, bearer);
    };
    auto missing = call("");
    EXPECT_EQ(missing->status, 401);
    EXPECT_THAT(Body(missing)["error"].get<std::string>(), HasSubstr("token required"));
    EXPECT_EQ(missing->get_header_value("WWW-Authenticate").rfind("Bearer", 0), 0u);
    auto wrong = call("tok-12");
    EXPECT_EQ(wrong->status, 401);
    EXPECT_THAT(Body(wrong)["error"].get<std::string>(), HasSubstr("wrong"));
    EXPECT_EQ(call(kToken)->status, 200);
  }
}

TEST_F(AdminServerTest, WithoutAConfiguredTokenProtectedEndpointsAreDisabled) {
  AdminServerOptions o = Options();
  o.token = "";
  StartServer(o);
  auto r = Post("/api/trigger", "{}", "anything");
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("admin.token is not configured"));
  EXPECT_EQ(Get("/api/logs")->status, 403);
  EXPECT_EQ(control_.triggers(), 0);
  EXPECT_EQ(Get("/api/status")->status, 200);
}

TEST_F(AdminServerTest, MaintenanceIsEnteredAndLeft) {
  auto r = Post("/api/maintenance", R"({"on":true,"reason":"cleaning"})", kToken);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(control_.Status().maintenance);
  EXPECT_EQ(control_.Status().maintenance_reason, "cleaning");
  auto ready = Get("/readyz");
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(Body(ready)["failing"], json::array({"accepting"}));

  EXPECT_EQ(Post("/api/maintenance", R"({"on":false})", kToken)->status, 200);
  EXPECT_FALSE(control_.Status().maintenance);
  EXPECT_EQ(Get("/readyz")->status, 200);
}

TEST_F(AdminServerTest, BadMaintenanceBodiesAreRefusedNamingTheField) {
  auto r = Post("/api/maintenance", "not json", kToken);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("not valid JSON"));
  r = Post("/api/maintenance", R"({"on":"yes"})", kToken);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("\"on\""));
  r = Post("/api/maintenance", R"({"on":true,"reason":5})", kToken);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("\"reason\""));
  EXPECT_FALSE(control_.Status().maintenance);
}

TEST_F(AdminServerTest, ConfThresholdOutsideTheUnitRangeIsRefused) {
  auto r = Post("/api/conf_threshold", R"({"threshold":1.5})", kToken);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("detector.conf_threshold"));
  EXPECT_EQ(Post("/api/conf_threshold", R"({"threshold":0.4})", kToken)->status, 200);
  EXPECT_DOUBLE_EQ(control_.Status().conf_threshold, 0.4);
}

TEST_F(AdminServerTest, RestartRestartsThePipeline) {
  EXPECT_EQ(Post("/api/restart", "{}", kToken)->status, 200);
  EXPECT_EQ(control_.restarts(), 1);
}

TEST_F(AdminServerTest, SnapshotIs404WithAMessageUntilAFrameWasDetected) {
  auto r = Get("/api/snapshot.jpg", kToken);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("no frame"));

  const std::string jpeg = MakeTestJpeg(64, 48, 2);
  control_.SetSnapshot(jpeg);
  r = Get("/api/snapshot.jpg", kToken);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(r->body, jpeg);
}

TEST_F(AdminServerTest, DecisionsAreListedNewestFirstWithThumbnailLinks) {
  control_.AddDecision(RealisticDecision(1, 1'700'000'000'000, true));
  control_.AddDecision(RealisticDecision(2, 1'700'000'001'000, false));
  auto r = Get("/api/decisions");
  ASSERT_EQ(r->status, 200);
  const json d = Body(r)["decisions"];
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["item_id"], control_.RecentDecisions(1)[0].decision.item_id);
  EXPECT_TRUE(d[0]["thumbnail_url"].is_null());
  const std::string url = d[1]["thumbnail_url"];
  EXPECT_EQ(url, "/api/decisions/" + d[1]["item_id"].get<std::string>() + "/thumbnail.jpg");

  auto thumb = Get(url, kToken);
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
  EXPECT_EQ(thumb->body, control_.RecentDecisions(2)[1].thumbnail_jpeg);

  EXPECT_EQ(Get("/api/decisions/nope/thumbnail.jpg", kToken)->status, 404);
  EXPECT_EQ(Get("/api/decisions?limit=1")->status, 200);
  EXPECT_EQ(Body(Get("/api/decisions?limit=1"))["decisions"].size(), 1u);
  EXPECT_EQ(Get("/api/decisions?limit=0")->status, 400);
}

TEST_F(AdminServerTest, LogsReturnTheLastLinesAndCheckTheCount) {
  for (int i = 0; i < 10; ++i) control_.AddLog("line " + std::to_string(i));
  auto r = Get("/api/logs?lines=3", kToken);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(Body(r)["lines"], json::array({"line 7", "line 8", "line 9"}));
  r = Get("/api/logs?lines=abc", kToken);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(Body(r)["error"].get<std::string>(), HasSubstr("lines must be an integer"));
}

TEST_F(AdminServerTest, UnknownPathsAre404Json) {
  auto r = Get("/nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(Body(r)["error"], "no such endpoint");
}

TEST_F(AdminServerTest, TheDashboardIsServedWithNoExternalUrl) {
  auto r = Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(r->body, HasSubstr("<canvas id=\"chart\""));
  EXPECT_THAT(r->body, HasSubstr("/api/status"));
  EXPECT_THAT(r->body, Not(HasSubstr("http:")));
  EXPECT_THAT(r->body, Not(HasSubstr("https:")));
  EXPECT_THAT(r->body, Not(HasSubstr("//"))) << "no protocol-relative URL";
  EXPECT_THAT(r->body, Not(HasSubstr("@import")));
  EXPECT_EQ(r->get_header_value("Set-Cookie"), "");
}

TEST_F(AdminServerTest, OpeningTheDashboardWithTheTokenSetsTheCookie) {
  auto r = Get(std::string("/?token=") + kToken);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Set-Cookie"),
              HasSubstr(std::string("rvm_admin_token=") + kToken));
  EXPECT_THAT(r->get_header_value("Set-Cookie"), HasSubstr("HttpOnly"));
  EXPECT_EQ(Get("/?token=wrong")->get_header_value("Set-Cookie"), "");
}

TEST_F(AdminServerTest, ProbePortsAreClosedUnlessTheV2ContractIsConfigured) {
  EXPECT_EQ(server_->pulse_port(), -1);
  EXPECT_EQ(server_->probe_port(), -1);
}

TEST_F(AdminServerTest, V2ProbesAnswerOnTheirOwnPortsWithThePlatformShapes) {
  AdminServerOptions o = Options();
  o.v2_probes = true;
  o.pulse_port = 0;
  o.probe_port = 0;
  StartServer(o);
  ASSERT_GT(server_->pulse_port(), 0);
  ASSERT_GT(server_->probe_port(), 0);
  EXPECT_NE(server_->pulse_port(), server_->probe_port());

  httplib::Client pulse("127.0.0.1", server_->pulse_port());
  auto r = pulse.Get("/pulse");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  json b = json::parse(r->body);
  EXPECT_EQ(b["status"], "ok");
  EXPECT_TRUE(b["services"].is_object());
  EXPECT_EQ(b["services"]["frame_source"], "ok");
  EXPECT_EQ(b["current_time_iso"], "2023-11-14T22:13:20.000Z");
  EXPECT_DOUBLE_EQ(b["uptime_service_seconds"].get<double>(), RealisticStatus().uptime_s);

  httplib::Client probe("127.0.0.1", server_->probe_port());
  r = probe.Get("/api/health-check");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  b = json::parse(r->body);
  EXPECT_EQ(b["status"], "ok");
  EXPECT_EQ(b["machine_id"], "rvm-edge-dev");

  r = probe.Get("/api/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  b = json::parse(r->body);
  ASSERT_TRUE(b["system_metrics"].is_object());
  ASSERT_TRUE(b["application_metrics"].is_object());
  for (const char* key :
       {"software_version", "ai_model_version", "ai_model_path", "uptime_seconds",
        "deposit_count_since_restart", "last_deposit_time", "error_count", "warning_count"}) {
    EXPECT_TRUE(b["application_metrics"].contains(key)) << key;
  }
  EXPECT_EQ(b["application_metrics"]["deposit_count_since_restart"], 2'101);
  EXPECT_LT(b["application_metrics"]["uptime_seconds"].get<double>(), 10'000);
  for (const auto& [key, value] : b["system_metrics"].items()) {
    EXPECT_TRUE(key == "cpu_usage" || key == "memory_usage" || key == "disk_usage" ||
                key == "gpu_usage" || key == "temperature")
        << key;
    EXPECT_TRUE(value.is_number()) << key;
  }

  // The probes are not on the admin port, nor the admin endpoints on theirs.
  EXPECT_EQ(Get("/pulse")->status, 404);
  EXPECT_EQ(probe.Get("/metrics")->status, 404);
}

TEST_F(AdminServerTest, APortInUseIsAnErrorNamingTheKeyAndAddress) {
  AdminServerOptions o = Options();
  o.port = server_->port();
  AdminServer second(o, {&control_, &metrics_, &system_, &clock_});
  const Status s = second.Start();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("admin.port"));
  EXPECT_THAT(s.message(), HasSubstr("127.0.0.1:" + std::to_string(server_->port())));
  EXPECT_EQ(second.port(), -1);
}

TEST_F(AdminServerTest, OptionsComeFromTheAdminSectionAndTheContract) {
  Config c;
  c.admin.bind_address = "0.0.0.0";
  c.admin.port = 9090;
  c.admin.token = {"t", "file"};
  c.admin.pulse_port = 15002;
  c.uplink.contract = "v2";
  const AdminServerOptions o = AdminServerOptionsFromConfig(c);
  EXPECT_EQ(o.bind_address, "0.0.0.0");
  EXPECT_EQ(o.port, 9090);
  EXPECT_EQ(o.token, "t");
  EXPECT_TRUE(o.v2_probes);
  EXPECT_EQ(o.pulse_port, 15002);
  EXPECT_EQ(o.probe_port, 8000);
  EXPECT_FALSE(AdminServerOptionsFromConfig(Config{}).v2_probes);
}

TEST_F(AdminServerTest, KeepAliveResponsesAreNotHeldBackByNagle) {
  // Without TCP_NODELAY every response on a kept-alive connection waits for
  // the client's delayed ACK (40 ms on Linux); a scrape takes well under 1 ms.
  client_->set_keep_alive(true);
  std::vector<double> ms;
  for (int i = 0; i < 21; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(Get("/metrics")->status, 200);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + 10, ms.end());
  EXPECT_LT(ms[10], 20.0) << "median scrape, ms";
}

TEST_F(AdminServerTest, StopIsIdempotentAndClosesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  httplib::Client c("127.0.0.1", port);
  EXPECT_FALSE(c.Get("/healthz"));
}

}  // namespace
}  // namespace rvm::admin
