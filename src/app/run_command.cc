// `rvm-edge run`: the service. Loads and validates the configuration once,
// builds the source, the detector, the decision sink and the recorder, runs
// the pipeline until the source ends or a signal arrives, and prints a
// summary of what it counted.
//
// Signals: the first SIGINT/SIGTERM stops capture, lets the items in flight
// finish, flushes the sink and exits 0 (or exits 1 if that takes longer than
// the shutdown limit); a second one exits at once.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "admin/admin_metrics.h"
#include "admin/admin_server.h"
#include "admin/system_probe.h"
#include "app/commands.h"
#include "app/detector_flags.h"
#include "app/option_checks.h"
#include "app/service.h"
#include "config/config_parser.h"
#include "config/config_validate.h"
#include "logging/logging.h"
#include "logging/sd_notify.h"
#include "pipeline/pipeline_config.h"

namespace rvm::app {
namespace {

// Used when --config is not given: a replay of the shared sample video
// (the path is filled in at run time), decisions on standard output.
constexpr const char* kEmbeddedConfig = R"toml(
[machine]
id = "rvm-edge-demo"
name = "RVM Edge demo"

[detector]
conf_threshold = 0.3
cache_dir = ""

[capture]
source = "video"
path = '@VIDEO@'
pace = false

[pipeline]
inference_workers = 2

[outbox]
dir = "out/demo-outbox"

[admin]
port = 0

[sink]
decisions_path = "-"
)toml";

struct RunFlags {
  std::string config_path;
  std::string model;
  std::string labels;
  std::string source;
  std::string path;
  std::string decisions;
  std::string outbox_dir;
  int admin_port = -1;
  std::string platform_url;
  bool replay = false;
  int workers = 0;
  int batch = 0;
  int threads = 0;
  std::optional<double> conf;  // --conf; unset = detector.conf_threshold
  double max_seconds = 0;
  double shutdown_limit_s = 10;
  double drain_s = 5;
};

Result<Config> LoadRunConfig(const RunFlags& f) {
  Config config;
  if (!f.config_path.empty()) {
    auto c = LoadConfig(f.config_path);
    if (!c.ok()) return c.status();
    config = std::move(c).value();
  } else {
    std::string text = kEmbeddedConfig;
    const std::string video =
        std::string(RVM_DEFAULT_SHARED_DIR) + "/video/bottling_line_conveyor_bottles.mp4";
    text.replace(text.find("@VIDEO@"), 7, video);
    auto c = ParseConfig(text, "embedded default configuration");
    if (!c.ok()) return c.status();
    config = std::move(c).value();
    config.detector.model_path = DefaultModelPath();
  }
  // Command-line overrides, for trying things out.
  if (!f.model.empty()) config.detector.model_path = f.model;
  if (!f.labels.empty()) config.detector.labels_path = f.labels;
  if (!f.source.empty()) config.capture.source = f.source;
  if (!f.path.empty()) config.capture.path = f.path;
  if (!f.decisions.empty()) config.sink.decisions_path = f.decisions;
  if (!f.outbox_dir.empty()) config.outbox.dir = f.outbox_dir;
  if (f.admin_port >= 0) config.admin.port = f.admin_port;
  if (!f.platform_url.empty()) config.uplink.base_url = f.platform_url;
  if (f.workers > 0) config.pipeline.inference_workers = f.workers;
  if (f.batch > 0) config.pipeline.batch_max_size = f.batch;
  if (f.threads > 0) config.detector.intra_op_threads = f.threads;
  if (f.conf) config.detector.conf_threshold = *f.conf;
  if (f.replay) {
    config.capture.pace = false;
    config.capture.idle_fps = config.capture.active_fps = 1000;
  }
  std::vector<ConfigIssue> issues = ValidateConfig(config);
  if (!issues.empty()) {
    std::string message = "configuration after command-line overrides has " +
                          std::to_string(issues.size()) + " problem(s):";
    for (const ConfigIssue& i : issues) message += "\n  " + i.message;
    return InvalidArgument(message);
  }
  return config;
}

// `images_skipped`: the files an image-directory source skipped, named only
// for that source (nullopt for the others).
std::string StatsLine(const PipelineStats& s, double seconds,
                      std::optional<int64_t> images_skipped) {
  const std::string skipped =
      images_skipped ? fmt::format(", {} unreadable images skipped", *images_skipped) : "";
  return fmt::format(
      "run ended after {:.1f} s: {} frames sampled ({} idle, {} to the detector, {:.1f}/s), "
      "{} inferred in {} batches (mean {:.2f}, max {}), {} dropped, {} read failures{}; "
      "frame queue max {}/{}, result queue max {}/{}, pool max {}/{} ({} waits); "
      "{} decisions ({} accepted), {} not recorded; tracker: {} items, {} noise",
      seconds, s.frames_sampled, s.frames_idle, s.frames_to_detector,
      seconds > 0 ? s.frames_inferred / seconds : 0.0, s.frames_inferred, s.batches, s.mean_batch(),
      s.max_batch, s.frame_queue.dropped, s.read_failures, skipped, s.frame_queue.max_depth,
      s.frame_queue.capacity, s.result_queue.max_depth, s.result_queue.capacity,
      s.frame_pool.max_in_use, s.frame_pool.size, s.frame_pool.waits, s.items_decided,
      s.items_accepted, s.record_failures, s.tracker.items_started, s.tracker.noise_dropped);
}

// SIGHUP: reads the configuration file again (with the same command-line
// overrides), applies the keys that can change while running and reports
// the ones that need a restart. A file with errors changes nothing.
void ReloadConfiguration(const RunFlags& f, Service& service) {
  const Logger log("run");
  (void)NotifyReloading();
  if (f.config_path.empty()) {
    log.Warn("SIGHUP: running on the embedded configuration; there is no file to reload");
    (void)NotifyReady();
    return;
  }
  auto fresh = LoadRunConfig(f);
  if (!fresh.ok()) {
    log.Error("SIGHUP: configuration not reloaded: " + fresh.status().message());
    (void)NotifyReady();
    return;
  }
  const LiveSettings::ReloadReport report = service.Reload(*fresh);
  if (!report.status.ok()) {
    log.Error("SIGHUP: run-time keys not applied: " + report.status.message());
  }
  log.Info(fmt::format("SIGHUP: configuration reloaded from {}; applied: {}; need a restart: {}",
                       f.config_path, KeyList(report.applied), KeyList(report.restart_needed)));
  (void)NotifyReady();
}

// A failure to start, after logging is set up: logged, and also printed on
// standard error ("rvm-edge run: <message>") when the log does not go there
// (logging.file set, or logging.level = "off"), so whoever started `run`
// sees why it stopped. Returns `exit_code`.
int StartupFailure(const LoggingConfig& logging, const std::string& message, int exit_code) {
  Logger("run").Error(message);
  FlushLogs();
  if (!logging.file.empty() || logging.level == "off") {
    std::cerr << "rvm-edge run: " << message << "\n";
  }
  return exit_code;
}

int RunService(const RunFlags& f) {
  // Block the stop and reload signals in every thread; one thread waits for them.
  sigset_t signal_set;
  sigemptyset(&signal_set);
  sigaddset(&signal_set, SIGINT);
  sigaddset(&signal_set, SIGTERM);
  sigaddset(&signal_set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signal_set, nullptr);

  auto config = LoadRunConfig(f);
  if (!config.ok()) {
    std::cerr << "rvm-edge run: " << config.status().message() << "\n";
    return kExitUsage;
  }
  if (Status s = InitLogging(config->logging, ConfigSecrets(*config)); !s.ok()) {
    std::cerr << "rvm-edge run: " << s.message() << "\n";
    return kExitUsage;
  }
  const Logger log("run");
  // The admin server's metrics, fed by the pipeline and the uplink.
  admin::AdminMetrics metrics;
  ServiceOptions options;
  options.replay = f.replay;
  options.on_uplink_request = [&metrics](double ms, bool ok) { metrics.OnUplinkRequest(ms, ok); };
  options.recent_logs = [](int max) { return RecentLogLines(max); };
  bool usage_error = false;
  auto opened = Service::Open(*config, options, usage_error);
  if (!opened.ok()) {
    return StartupFailure(config->logging, opened.status().message(),
                          usage_error ? kExitUsage : kExitFatal);
  }
  Service& service = **opened;
  const Config& c = service.config();
  for (const std::string& note : ProviderNotes(service.model())) log.Warn(note);
  log.Info(DescribeModel(service.model()));

  // The admin server: health, metrics, status, dashboard (src/admin).
  service.AddObserver(&metrics);
  admin::SystemProbe system("/", c.outbox.dir);
  admin::AdminServerParts admin_parts;
  admin_parts.control = &service.control();
  admin_parts.metrics = &metrics;
  admin_parts.system = &system;
  admin_parts.clock = &SteadyClock::Instance();
  admin::AdminServer admin_server(admin::AdminServerOptionsFromConfig(c), admin_parts);
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = service.Start(); !s.ok()) {
    return StartupFailure(c.logging, s.message(), kExitFatal);
  }
  log.Info(fmt::format(
      "{}; {} inference worker(s), batch up to {}; decisions to {} and the outbox in {}; {}",
      service.DescribeSource(), c.pipeline.inference_workers, c.pipeline.batch_max_size,
      c.sink.decisions_path, c.outbox.dir,
      c.uplink.base_url.empty() ? std::string("no platform configured (offline)")
                                : "delivering to " + c.uplink.base_url));
  if (Status s = admin_server.Start(); !s.ok()) {
    service.Stop();
    return StartupFailure(c.logging, s.message(), kExitFatal);
  }
  log.Info("admin server on " + admin_server.url());
  if (!IsLoopbackAddress(c.admin.bind_address) && c.admin.token.value.empty()) {
    // Only reachable with admin.allow_unauthenticated_remote (ValidateConfig).
    log.Warn("admin server listens on " + c.admin.bind_address +
             " without admin.token (admin.allow_unauthenticated_remote = true): anyone who can "
             "reach it reads the dashboard, status and metrics; decisions, images, logs and "
             "controls stay disabled until a token is set");
  }
  (void)NotifyReady();
  (void)NotifyStatus("running: " + service.DescribeSource());

  // The signal thread: the first stop signal stops, a second exits at once;
  // SIGHUP asks the controlling thread to reload the configuration.
  std::atomic<bool> done{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> reload{false};
  std::thread signals([&] {
    const timespec tick{0, 100'000'000};
    while (!done.load()) {
      const int sig = sigtimedwait(&signal_set, nullptr, &tick);
      if (sig < 0) continue;
      if (sig == SIGHUP) {
        reload.store(true);
        continue;
      }
      if (stopping.exchange(true)) {
        static const char kMsg[] = "rvm-edge run: second signal, exiting now\n";
        (void)!write(2, kMsg, sizeof kMsg - 1);
        _exit(128 + sig);
      }
      log.Info("stopping (finishing items in flight)");
      (void)NotifyStopping();
      service.Stop();
    }
  });

  const auto watchdog = WatchdogInterval();
  auto last_ping = std::chrono::steady_clock::now();
  bool timed_out = false;
  double stop_started = -1;
  for (;;) {
    if (service.WaitFor(std::chrono::milliseconds(100))) break;
    const auto now = std::chrono::steady_clock::now();
    if (watchdog && now - last_ping >= *watchdog / 2) {
      (void)NotifyWatchdog();
      last_ping = now;
    }
    if (reload.exchange(false)) ReloadConfiguration(f, service);
    const double elapsed = std::chrono::duration<double>(now - t0).count();
    if (f.max_seconds > 0 && elapsed >= f.max_seconds && !stopping.exchange(true)) {
      (void)NotifyStopping();
      service.Stop();
    }
    if (stopping.load()) {
      if (stop_started < 0) stop_started = elapsed;
      if (elapsed - stop_started > f.shutdown_limit_s) {
        timed_out = true;
        break;
      }
    }
  }
  if (timed_out) {
    log.Error(
        fmt::format("items in flight did not finish within {} s; exiting", f.shutdown_limit_s));
    FlushLogs();
    std::fflush(nullptr);
    _exit(kExitFailure);
  }
  Status result = service.Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool images = c.capture.source == SourceKindName(SourceKind::kImages);
  log.Info(StatsLine(service.pipeline_stats(), seconds,
                     images ? std::optional(service.images_skipped()) : std::nullopt));
  // Every run, stopped (SIGTERM, --max-seconds) or ended by itself, gives
  // the records just written, its session's summary among them, up to
  // --drain seconds to reach the platform; a second signal exits at once.
  // Whatever is left stays in the outbox and goes first on the next start.
  service.DrainAndStopDelivery(f.drain_s);
  admin_server.Stop();
  done.store(true);
  signals.join();
  log.Info(service.DeliverySummary());
  if (!result.ok()) {
    log.Error(result.message());
    FlushLogs();
    return kExitFailure;
  }
  FlushLogs();
  return kExitOk;
}

}  // namespace

void RegisterRunCommand(CLI::App& root, CommandAction& action) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = root.add_subcommand(
      "run", "Run the service: watch the chute, decide each item, write the decisions");
  cmd->add_option("--config", flags->config_path,
                  "TOML configuration file (default: an embedded demo configuration that "
                  "replays the shared sample video)");
  cmd->add_option("--model", flags->model, "Override detector.model_path");
  cmd->add_option("--labels", flags->labels, "Override detector.labels_path");
  cmd->add_option("--source", flags->source, "Override capture.source")
      ->check(CLI::IsMember({"camera", "gstreamer", "video", "images", "synthetic"}));
  cmd->add_option("--path", flags->path, "Override capture.path (video file or image directory)");
  cmd->add_option("--decisions", flags->decisions,
                  "Override sink.decisions_path (JSON lines; '-' = standard output)");
  cmd->add_option("--outbox", flags->outbox_dir, "Override outbox.dir");
  cmd->add_option("--admin-port", flags->admin_port, "Override admin.port (0 = any free port)")
      ->check(NumberIn(0, 65535));
  cmd->add_option("--platform", flags->platform_url,
                  "Override uplink.base_url (the platform to deliver to)");
  cmd->add_option("--drain", flags->drain_s,
                  "At the end of a run, seconds to wait for pending records to be delivered")
      ->check(NotNegative())
      ->capture_default_str();
  cmd->add_option("--workers", flags->workers, "Override pipeline.inference_workers")
      ->check(NumberIn(1, 64));
  cmd->add_option("--batch", flags->batch, "Override pipeline.batch_max_size")
      ->check(NumberIn(1, 64));
  cmd->add_option("--threads", flags->threads, "Override detector.intra_op_threads")
      ->check(NumberIn(1, 256));
  cmd->add_option("--conf", flags->conf, "Override detector.conf_threshold")->check(NumberIn(0, 1));
  cmd->add_flag("--replay", flags->replay,
                "Replay a recording as fast as possible: no pacing, every frame to the "
                "detector (the motion gate's idle mode is bypassed)");
  cmd->add_option("--max-seconds", flags->max_seconds,
                  "Stop (as on SIGTERM) after this many seconds; 0 = run until the source ends")
      ->check(NotNegative());
  cmd->add_option("--shutdown-limit", flags->shutdown_limit_s,
                  "Seconds allowed for finishing the items in flight after a stop")
      ->check(AboveZero())
      ->capture_default_str();
  cmd->callback([flags, &action] { action = [flags] { return RunService(*flags); }; });
}

}  // namespace rvm::app
