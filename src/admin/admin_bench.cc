// admin_bench: what the admin server costs. Times, in one run:
//   * GET /metrics over HTTP (keep-alive client, as Prometheus scrapes), and
//     the same exposition rendered in-process (no socket), median/p99;
//   * GET /api/status (the dashboard's poll);
//   * the pipeline-side hooks (OnStage, OnDecision): ns per call;
//   * service CPU per scrape, and from it the share of one core that a
//     1 s dashboard poll plus a 15 s Prometheus scrape take.
// Against a FakeServiceControl filled with realistic numbers and metrics that
// already hold a few thousand observations, on this machine's real /proc and
// /sys (so thermal zones and the disk are read as in production).
#include <httplib.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

#include "admin/admin_server.h"
#include "admin/fake_service_control.h"
#include "base/process_stats.h"
#include "base/sample_stats.h"

namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void Print(const char* what, const rvm::SampleSummary& s, const char* unit) {
  std::printf("%-28s n=%-6zu median %8.3f  p90 %8.3f  p99 %8.3f  max %8.3f %s\n", what, s.count,
              s.median, s.p90, s.p99, s.max, unit);
}

double CpuSeconds() {
  const rvm::ProcessStats p = rvm::ReadProcessStats();
  return p.cpu_user_s + p.cpu_system_s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Admin server cost: /metrics scrape latency, hook cost, CPU per scrape"};
  int scrapes = 2000;
  int hook_calls = 2'000'000;
  app.add_option("--scrapes", scrapes, "scrapes per measured endpoint")
      ->check(CLI::Range(10, 1'000'000));
  app.add_option("--hook-calls", hook_calls, "observer calls timed")
      ->check(CLI::Range(1000, 100'000'000));
  CLI11_PARSE(app, argc, argv);

  rvm::admin::FakeServiceControl control;
  rvm::admin::AdminMetrics metrics;
  rvm::admin::SystemProbe system("/", ".");
  for (int i = 0; i < 40; ++i) {
    control.AddDecision(rvm::admin::RealisticDecision(i, 1'700'000'000'000 + i * 1000, true));
  }
  // A few thousand observations in every series, as after hours of running.
  for (int i = 0; i < 5000; ++i) {
    metrics.OnStage("capture", 1.5 + (i % 7) * 0.2);
    metrics.OnStage("queue", 0.5 + (i % 5) * 0.3);
    metrics.OnStage("inference", 30 + (i % 13));
    metrics.OnStage("decide", 0.2 + (i % 3) * 0.1);
    metrics.OnBatch(1 + i % 2);
    if (i % 40 == 0) metrics.OnDecision(rvm::admin::RealisticDecision(i, 0, false).decision);
  }

  rvm::admin::AdminServerOptions options;
  options.port = 0;
  options.token = "bench";
  rvm::admin::AdminServer server(options,
                                 {&control, &metrics, &system, &rvm::SteadyClock::Instance()});
  if (rvm::Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "admin_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);

  size_t metrics_bytes = 0;
  auto time_get = [&](const char* path) {
    std::vector<double> ms;
    ms.reserve(scrapes);
    for (int i = 0; i < scrapes + 20; ++i) {
      const auto t0 = Clock::now();
      auto r = client.Get(path);
      const auto t1 = Clock::now();
      if (!r || r->status != 200) {
        std::fprintf(stderr, "admin_bench: GET %s failed\n", path);
        std::exit(1);
      }
      if (i >= 20) ms.push_back(Ms(t1 - t0));  // the first ones warm caches and the connection
      metrics_bytes = r->body.size();
    }
    return rvm::Summarize(ms);
  };

  const double cpu0 = CpuSeconds();
  const rvm::SampleSummary http_metrics = time_get("/metrics");
  const double cpu_per_scrape_ms = (CpuSeconds() - cpu0) * 1000.0 / (scrapes + 20);
  const size_t exposition_bytes = metrics_bytes;
  const double cpu1 = CpuSeconds();
  const rvm::SampleSummary http_status = time_get("/api/status");
  const double cpu_per_status_ms = (CpuSeconds() - cpu1) * 1000.0 / (scrapes + 20);

  std::vector<double> render_ms, sample_ms;
  for (int i = 0; i < scrapes; ++i) {
    const auto t0 = Clock::now();
    const rvm::admin::SystemSample sys = system.Sample();
    const auto t1 = Clock::now();
    const std::string text = metrics.Render(control.Status(), sys);
    const auto t2 = Clock::now();
    sample_ms.push_back(Ms(t1 - t0));
    render_ms.push_back(Ms(t2 - t1));
  }

  const rvm::Decision decision = rvm::admin::RealisticDecision(1, 0, false).decision;
  auto t0 = Clock::now();
  for (int i = 0; i < hook_calls; ++i) metrics.OnStage("inference", 30 + (i & 7));
  const double stage_ns = Ms(Clock::now() - t0) * 1e6 / hook_calls;
  t0 = Clock::now();
  for (int i = 0; i < hook_calls; ++i) metrics.OnDecision(decision);
  const double decision_ns = Ms(Clock::now() - t0) * 1e6 / hook_calls;
  server.Stop();

  std::printf("admin_bench: %d scrapes per endpoint, exposition %zu bytes\n", scrapes,
              exposition_bytes);
  Print("GET /metrics (HTTP)", http_metrics, "ms");
  Print("  render only", rvm::Summarize(render_ms), "ms");
  Print("  system readings only", rvm::Summarize(sample_ms), "ms");
  Print("GET /api/status (HTTP)", http_status, "ms");
  std::printf("%-28s %.3f ms (client + server, one process)\n", "CPU per /metrics",
              cpu_per_scrape_ms);
  std::printf("%-28s %.3f ms\n", "CPU per /api/status", cpu_per_status_ms);
  std::printf("%-28s %.1f ns per call\n", "OnStage", stage_ns);
  std::printf("%-28s %.1f ns per call\n", "OnDecision", decision_ns);
  // Dashboard open (one /api/status per second) plus Prometheus every 15 s.
  const double share = (cpu_per_status_ms + cpu_per_scrape_ms / 15.0) / 1000.0;
  std::printf("%-28s %.4f %% of one core (1 s dashboard poll + 15 s scrape)\n", "steady cost",
              share * 100.0);
  // Per frame through four stages: four OnStage calls.
  std::printf("%-28s %.4f %% of a 40 ms inference frame\n", "hook cost per frame",
              4 * stage_ns / 40e6 * 100.0);
  return 0;
}
