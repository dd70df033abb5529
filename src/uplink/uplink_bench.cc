// uplink_bench: the uplink's delivery figures against the platform sim on
// loopback, measured in one run (docs/uplink-performance.md records them).
//
//   1. API calls per 1,000 deposits: session transactions batched through
//      edge v1 sync-offline (batch_max_size records per call) against one
//      call per record; and the deposits' own evidence calls, which have no
//      batch endpoint in either contract.
//   2. TCP connections opened per 1,000 deposits in steady state: items
//      arrive one every --interval-ms and the delivery thread sends each as
//      it comes, over the pooled connection.
//   3. Replay of a --backlog record backlog (default 100,000; deposits with
//      a 600-byte evidence image) with --in-flight requests in flight
//      (default 4): records/s, and resident memory at the start, peak and end
//      of the replay; beside it, in the same run, the one-at-a-time baseline
//      (max_in_flight 1) on a --baseline-backlog (default 10,000).
//   4. Drain under partial failure (--faults-only runs this alone): a backlog
//      of --fault-backlog deposits (default 200) with the service's default
//      delivery options (DeliveryOptionsFromConfig of a default [uplink])
//      against the in-process sim failing a share p of requests, p = 10%,
//      30%, 50%: three fifths as 500/503, one fifth as connection resets,
//      one fifth as 429 with Retry-After: 1 (at 50%: 30% errors, 10% resets,
//      10% 429s). Records cleared per second, for at most --fault-seconds
//      (default 60) per rate; --backoff-min-ms sets uplink.retry_backoff_min_ms
//      to compare another first retry delay.
//
// With --url the platform is an rvm-platform-sim started separately (so the
// resident memory figures are the client's alone); otherwise an in-process
// sim with its database in memory serves, and its memory is counted too.
//
// Usage: uplink_bench [--url URL] [--dir DIR] [--backlog N] [--baseline-backlog N]
//                     [--in-flight N] [--interval-ms N] [--batch N]
#include <sys/resource.h>
#include <algorithm>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/process_stats.h"
#include "platform_sim/platform_sim.h"
#include "uplink/delivery_service.h"
#include "uplink/edge_v1_client.h"
#include "uplink/outbox_sink.h"
#include "uplink/platform_client_factory.h"
#include "uplink/uplink_test_util.h"

namespace rvm::uplink {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string dir = std::filesystem::temp_directory_path().string() + "/uplink_bench";
  int backlog = 100'000;
  int baseline_backlog = 10'000;
  int in_flight = 4;
  int interval_ms = 2;
  int batch = 50;
  std::string url;  // "" = an in-process sim
  int fault_backlog = 200;
  int fault_seconds = 60;
  int backoff_min_ms = -1;  // [4] with this uplink.retry_backoff_min_ms; -1 = the default
  bool faults_only = false;
};

struct Env {
  std::unique_ptr<outbox::Outbox> outbox;
  std::unique_ptr<EdgeV1Client> client;
};

// User + system CPU time this process has used, seconds.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

Env Open(const std::string& dir, const std::string& url) {
  std::filesystem::remove_all(dir);
  outbox::OutboxOptions oo;
  oo.dir = dir;
  oo.quota_bytes = int64_t{8} << 30;
  auto box = outbox::Outbox::Open(oo, outbox::PosixEnv(), SteadyClock::Instance());
  if (!box.ok()) {
    std::fprintf(stderr, "outbox: %s\n", box.status().ToString().c_str());
    std::exit(1);
  }
  auto client = EdgeV1Client::Create(testing::SimOptions(url), SteadyClock::Instance());
  if (!client.ok()) std::exit(1);
  return {std::move(box).value(), std::move(client).value()};
}

Decision MakeItem(int i, const std::string& prefix) {
  char id[64];
  std::snprintf(id, sizeof(id), "%s-%06d", prefix.c_str(), i);
  Decision d = testing::MakeDecision(id, prefix + "-session");
  const auto jpeg = testing::FakeJpeg(600, static_cast<uint8_t>(i));
  d.best_frame_jpeg.assign(jpeg.begin(), jpeg.end());
  return d;
}

// Appends `n` deposits in AppendBatch calls of 500 (one group commit each).
void FillDeposits(outbox::Outbox& box, int n, const std::string& prefix) {
  for (int first = 0; first < n; first += 500) {
    std::vector<Decision> decisions;
    std::vector<outbox::NewRecord> records;
    for (int i = first; i < std::min(n, first + 500); ++i) decisions.push_back(MakeItem(i, prefix));
    for (const Decision& d : decisions) {
      outbox::NewRecord r;
      r.item_id = d.item_id;
      r.kind = outbox::RecordKind::kDeposit;
      r.machine_id = d.machine_id;
      r.payload_json = DecisionToJson(d).dump();
      r.evidence_jpeg = std::span<const uint8_t>(
          reinterpret_cast<const uint8_t*>(d.best_frame_jpeg.data()), d.best_frame_jpeg.size());
      records.push_back(std::move(r));
    }
    if (auto a = box.AppendBatch(records); !a.ok()) {
      std::fprintf(stderr, "append: %s\n", a.status().ToString().c_str());
      std::exit(1);
    }
  }
}

// Appends `n` records from 32 threads so the outbox group-commits them.
void FillBacklog(outbox::Outbox& box, int n, bool sessions, const std::string& prefix) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      OutboxSink sink(box);
      for (int i = next++; i < n; i = next++) {
        Status st = sessions ? sink.WriteSessionSummary(
                                   testing::MakeSession(prefix + "-" + std::to_string(i), 1))
                             : sink.Write(MakeItem(i, prefix));
        if (!st.ok()) {
          std::fprintf(stderr, "append: %s\n", st.ToString().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
}

void DrainWith(DeliveryService& service) {
  service.Start();
  while (service.Stats().backlog_records > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  service.Stop();
}

int64_t SessionCalls(const std::string& url, const std::string& dir, int batch) {
  Env env = Open(dir, url);
  FillBacklog(*env.outbox, 1000, /*sessions=*/true, "bench-b" + std::to_string(batch));
  DeliveryOptions d;
  d.records_per_round = 100;
  d.session_batch = {.max_records = batch, .max_delay_ms = 0};
  DeliveryService service(*env.outbox, *env.client, SteadyClock::Instance(), d);
  DrainWith(service);
  return service.Stats().api_calls;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--dir")
      f.dir = argv[i + 1];
    else if (k == "--backlog")
      f.backlog = std::atoi(argv[i + 1]);
    else if (k == "--baseline-backlog")
      f.baseline_backlog = std::atoi(argv[i + 1]);
    else if (k == "--in-flight")
      f.in_flight = std::atoi(argv[i + 1]);
    else if (k == "--interval-ms")
      f.interval_ms = std::atoi(argv[i + 1]);
    else if (k == "--batch")
      f.batch = std::atoi(argv[i + 1]);
    else if (k == "--url")
      f.url = argv[i + 1];
    else if (k == "--fault-backlog")
      f.fault_backlog = std::atoi(argv[i + 1]);
    else if (k == "--fault-seconds")
      f.fault_seconds = std::atoi(argv[i + 1]);
    else if (k == "--backoff-min-ms")
      f.backoff_min_ms = std::atoi(argv[i + 1]);
    else if (k == "--faults-only")
      f.faults_only = std::string(argv[i + 1]) == "1";
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows while it runs
  std::unique_ptr<sim::PlatformSim> sim;
  if (f.url.empty()) {
    sim::PlatformSimOptions so;
    so.keep_alive_timeout_s = 5;
    sim = std::make_unique<sim::PlatformSim>(so);
    if (!sim->Start().ok()) return 1;
    f.url = sim->base_url();
  }
  std::printf("uplink_bench: platform at %s (%s), outbox under %s\n", f.url.c_str(),
              sim ? "in-process sim" : "separate process", f.dir.c_str());
  auto server_connections = [&]() -> int64_t {
    return sim ? sim->Stats()["connections"]["accepted"].get<int64_t>() : -1;
  };

  if (f.faults_only || f.fault_backlog > 0) {
    if (!sim) {
      std::fprintf(stderr, "[4] needs the in-process sim (no --url): it injects the faults\n");
    } else {
      for (double p : {0.1, 0.3, 0.5}) {
        const std::string prefix = "faults" + std::to_string(static_cast<int>(p * 100));
        Env env = Open(f.dir + "/" + prefix, f.url);
        FillDeposits(*env.outbox, f.fault_backlog, prefix);
        sim::FaultSettings faults;
        faults.error.rate = p * 0.6;
        faults.reset.rate = p * 0.2;
        faults.rate_limit.rate = p * 0.2;
        faults.retry_after_s = 1;
        faults.path_filter = "/edge/deposit";
        sim->SetFaults(faults);
        UplinkConfig uplink;
        if (f.backoff_min_ms > 0) uplink.retry_backoff_min_ms = f.backoff_min_ms;
        const DeliveryOptions d = DeliveryOptionsFromConfig(uplink);
        DeliveryService service(*env.outbox, *env.client, SteadyClock::Instance(), d);
        const auto start = Clock::now();
        const auto end = start + std::chrono::seconds(f.fault_seconds);
        service.Start();
        DeliveryStats c = service.Counters();
        while (c.delivered + c.parked < f.fault_backlog && Clock::now() < end) {
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          c = service.Counters();
        }
        service.Stop();
        sim->SetFaults({});
        const double secs = std::chrono::duration<double>(Clock::now() - start).count();
        const DeliveryStats s = service.Stats();
        std::printf(
            "[4] backoff from %lld ms, %2.0f%% of requests failing (%.0f%% 5xx, %.0f%% resets, %.0f%% 429): %lld of %d "
            "records in %.1f s: %.1f records/s; %lld retries, circuit opened %lld time(s)\n",
            static_cast<long long>(d.backoff.min_ms), p * 100, p * 60, p * 20, p * 20,
            static_cast<long long>(s.delivered), f.fault_backlog,
            secs, s.delivered / secs, static_cast<long long>(s.retries),
            static_cast<long long>(s.circuit_opened));
        std::filesystem::remove_all(f.dir + "/" + prefix);
      }
    }
    if (f.faults_only) {
      std::filesystem::remove_all(f.dir);
      return 0;
    }
  }

  // 1. API calls per 1,000 records.
  const int64_t batched = SessionCalls(f.url, f.dir + "/batched", f.batch);
  const int64_t single = SessionCalls(f.url, f.dir + "/single", 1);
  std::printf(
      "[1] sessions (sync-offline) per 1,000: %lld calls batched by %d, %lld one per "
      "record: %.1f%% fewer\n",
      static_cast<long long>(batched), f.batch, static_cast<long long>(single),
      100.0 * (1.0 - static_cast<double>(batched) / static_cast<double>(single)));

  // 2. Steady state: items trickle in, each is delivered as it comes.
  {
    Env env = Open(f.dir + "/steady", f.url);
    DeliveryOptions d;
    d.idle_poll_ms = 50;
    DeliveryService service(*env.outbox, *env.client, SteadyClock::Instance(), d);
    OutboxSink sink(*env.outbox, [&] { service.Notify(); });
    service.Start();
    const int64_t accepted_before = server_connections();
    for (int i = 0; i < 1000; ++i) {
      if (!sink.Write(MakeItem(i, "steady")).ok()) return 1;
      std::this_thread::sleep_for(std::chrono::milliseconds(f.interval_ms));
    }
    while (service.Stats().backlog_records > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    service.Stop();
    const DeliveryStats s = service.Stats();
    const std::string accepted =
        sim ? std::to_string(server_connections() - accepted_before) : std::string("(not known)");
    std::printf("[1] deposits (edge/deposit, no batch endpoint) per 1,000: %lld calls\n",
                static_cast<long long>(s.api_calls));
    std::printf(
        "[2] steady state, 1 item every %d ms: %lld TCP connections opened per 1,000 "
        "deposits (client count), %s accepted by the server\n",
        f.interval_ms, static_cast<long long>(s.connections_opened), accepted.c_str());
  }

  // 3. Replay of a large backlog: one at a time (baseline), then the window.
  for (const auto& [in_flight, backlog] :
       {std::pair{1, f.baseline_backlog}, std::pair{f.in_flight, f.backlog}}) {
    if (backlog <= 0) continue;
    const std::string prefix = "replay" + std::to_string(in_flight);
    Env env = Open(f.dir + "/" + prefix, f.url);
    const auto fill_start = Clock::now();
    FillDeposits(*env.outbox, backlog, prefix);
    const double fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
    std::printf(
        "[3] backlog of %d deposits appended in %.1f s (%.0f records/s, AppendBatch of 500)\n",
        backlog, fill_s, backlog / fill_s);
    DeliveryOptions d;
    d.records_per_round = 500;
    d.max_in_flight = in_flight;
    DeliveryService service(*env.outbox, *env.client, SteadyClock::Instance(), d);
    const int64_t rss_start = ReadProcessStats().rss_bytes;
    int64_t rss_max = rss_start;
    const double cpu_start = ProcessCpuSeconds();
    const auto start = Clock::now();
    service.Start();
    // Counters(), not Stats(): the outbox's statistics scan the backlog, and
    // polling them would compete with the replay being measured.
    for (DeliveryStats c = service.Counters(); c.delivered + c.parked < backlog;
         c = service.Counters()) {
      rss_max = std::max(rss_max, ReadProcessStats().rss_bytes);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    service.Stop();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = ProcessCpuSeconds() - cpu_start;
    const int64_t rss_end = ReadProcessStats().rss_bytes;
    const DeliveryStats s = service.Stats();
    // CPU per record does not depend on what else runs on the machine: it is
    // the replay's cost, and 1 / it the rate one free core would sustain.
    std::printf(
        "[3] max_in_flight %d: %.3f ms of CPU per record (%s), i.e. %.0f records per "
        "CPU-second\n",
        in_flight, 1000 * cpu / std::max<int64_t>(1, s.delivered),
        sim ? "client and sim together" : "client alone", s.delivered / std::max(cpu, 1e-9));
    std::printf(
        "[3] max_in_flight %d: replayed %lld records in %.1f s: %.0f records/s over %lld "
        "connection(s), %lld API calls\n",
        in_flight, static_cast<long long>(s.delivered), secs, s.delivered / secs,
        static_cast<long long>(s.connections_opened), static_cast<long long>(s.api_calls));
    std::printf("[3] resident memory: %.1f MiB at start, %.1f MiB peak, %.1f MiB at end\n",
                rss_start / 1048576.0, rss_max / 1048576.0, rss_end / 1048576.0);
    std::filesystem::remove_all(f.dir + "/" + prefix);
  }
  std::filesystem::remove_all(f.dir);
  return 0;
}

}  // namespace
}  // namespace rvm::uplink

int main(int argc, char** argv) { return rvm::uplink::Main(argc, argv); }
