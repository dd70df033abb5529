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
#include <thread>

#include <fmt/format.h>

#include "app/commands.h"
#include "app/detector_flags.h"
#include "capture/sleep.h"
#include "capture/source_factory.h"
#include "config/config_parser.h"
#include "config/config_validate.h"
#include "deposit/decision_recorder.h"
#include "deposit/decision_sink.h"
#include "deposit/label_map.h"
#include "deposit/uuid_v7.h"
#include "pipeline/pipeline.h"
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
  bool replay = false;
  int workers = 0;
  int batch = 0;
  int threads = 0;
  double conf = -1;
  double max_seconds = 0;
  double shutdown_limit_s = 10;
};

// Passes every record on to `inner` and prints one readable line per
// decision and per session on standard error, for the operator.
class LoggingSink final : public DecisionSink {
 public:
  explicit LoggingSink(std::unique_ptr<DecisionSink> inner) : inner_(std::move(inner)) {}
  Status Write(const Decision& d) override {
    RVM_RETURN_IF_ERROR(inner_->Write(d));
    std::cerr << fmt::format(
        "decision: {:<8} {:<14} {:<10} conf {:.2f}  {} frames ({}){}{}\n",
        d.accepted ? "ACCEPTED" : "REJECTED", d.label,
        d.material ? std::string(MaterialName(*d.material)) : "-", d.confidence, d.frames, d.finish,
        d.accepted ? "" : "  reason: ", std::string(RejectReasonName(d.reason)));
    return Status::Ok();
  }
  Status WriteSessionSummary(const SessionSummary& s) override {
    RVM_RETURN_IF_ERROR(inner_->WriteSessionSummary(s));
    std::cerr << fmt::format("session {} closed ({}): {} accepted of {}, {} points\n",
                             s.session.session_id, s.close_reason, s.accepted_count(),
                             s.items.size(), s.total_points());
    return Status::Ok();
  }
  Status Flush() override { return inner_->Flush(); }

 private:
  std::unique_ptr<DecisionSink> inner_;
};

// The one place the decision sink is built. Today: JSON lines to a file or
// standard output. The durable outbox-backed sink plugs in here.
Result<std::unique_ptr<DecisionSink>> MakeDecisionSink(const Config& config) {
  auto sink = JsonLinesSink::Open(config.sink.decisions_path);
  if (!sink.ok()) return sink.status();
  return std::unique_ptr<DecisionSink>(
      std::make_unique<LoggingSink>(std::unique_ptr<DecisionSink>(std::move(sink).value())));
}

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
  if (f.workers > 0) config.pipeline.inference_workers = f.workers;
  if (f.batch > 0) config.pipeline.batch_max_size = f.batch;
  if (f.threads > 0) config.detector.intra_op_threads = f.threads;
  if (f.conf >= 0) config.detector.conf_threshold = f.conf;
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

std::string StatsLine(const PipelineStats& s, double seconds) {
  return fmt::format(
      "rvm-edge run: {:.1f} s, {} frames sampled ({} idle, {} to the detector, {:.1f}/s), "
      "{} inferred in {} batches (mean {:.2f}, max {}), {} dropped, {} read failures; "
      "frame queue max {}/{}, result queue max {}/{}, pool max {}/{} ({} waits); "
      "{} decisions ({} accepted), {} not recorded; tracker: {} items, {} noise",
      seconds, s.frames_sampled, s.frames_idle, s.frames_to_detector,
      seconds > 0 ? s.frames_inferred / seconds : 0.0, s.frames_inferred, s.batches, s.mean_batch(),
      s.max_batch, s.frame_queue.dropped, s.read_failures, s.frame_queue.max_depth,
      s.frame_queue.capacity, s.result_queue.max_depth, s.result_queue.capacity,
      s.frame_pool.max_in_use, s.frame_pool.size, s.frame_pool.waits, s.items_decided,
      s.items_accepted, s.record_failures, s.tracker.items_started, s.tracker.noise_dropped);
}

int RunService(const RunFlags& f) {
  // Block the stop signals in every thread; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto config = LoadRunConfig(f);
  if (!config.ok()) {
    std::cerr << "rvm-edge run: " << config.status().message() << "\n";
    return kExitUsage;
  }
  const Config& c = *config;
  auto capture_options = CaptureOptionsFromConfig(c.capture);
  auto detector_options = DetectorOptionsFromConfig(c.detector);
  if (!capture_options.ok() || !detector_options.ok()) {
    std::cerr
        << "rvm-edge run: "
        << (capture_options.ok() ? detector_options.status() : capture_options.status()).message()
        << "\n";
    return kExitUsage;
  }
  PipelineOptions options = PipelineOptionsFromConfig(c);
  options.detect_every_frame = f.replay;
  if (Status s = ValidatePipelineOptions(options); !s.ok()) {
    std::cerr << "rvm-edge run: " << s.message() << "\n";
    return kExitUsage;
  }

  auto model = DetectorModel::Load(*detector_options);
  if (!model.ok()) {
    std::cerr << "rvm-edge run: " << model.status().message() << "\n";
    return kExitFatal;
  }
  std::cerr << DescribeModel(**model) << "\n";
  auto labels = LabelMap::Create((*model)->labels(), c.policy);
  if (!labels.ok()) {
    std::cerr << "rvm-edge run: " << labels.status().message() << "\n";
    return kExitUsage;
  }
  const Clock& clock = SteadyClock::Instance();
  InterruptibleSleeper sleeper;
  auto source = MakeFrameSource(*capture_options, clock, sleeper.AsSleepFn());
  if (!source.ok()) {
    std::cerr << "rvm-edge run: " << source.status().message() << "\n";
    return kExitFatal;
  }
  auto sink = MakeDecisionSink(c);
  if (!sink.ok()) {
    std::cerr << "rvm-edge run: " << sink.status().message() << "\n";
    return kExitFatal;
  }
  UuidV7Generator ids(clock);
  DecisionRecorder recorder(c.machine, c.policy, c.sessions, *labels, **sink, clock, ids);

  PipelineParts parts;
  parts.source = source->source.get();
  parts.detectors = ModelDetectorFactory(*model);
  parts.labels = &*labels;
  parts.recorder = &recorder;
  parts.clock = &clock;
  parts.sleep = sleeper.AsSleepFn();
  Pipeline pipeline(options, std::move(parts));
  std::cerr << "rvm-edge run: " << source->source->Describe() << "; "
            << c.pipeline.inference_workers << " inference worker(s), batch up to "
            << c.pipeline.batch_max_size << "; decisions to " << c.sink.decisions_path << "\n";
  const auto t0 = std::chrono::steady_clock::now();
  if (Status s = pipeline.Start(); !s.ok()) {
    std::cerr << "rvm-edge run: " << s.message() << "\n";
    return kExitFatal;
  }

  // The signal thread: first signal stops, second exits at once.
  std::atomic<bool> done{false};
  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    const timespec tick{0, 100'000'000};
    while (!done.load()) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig < 0) continue;
      if (stopping.exchange(true)) {
        static const char kMsg[] = "rvm-edge run: second signal, exiting now\n";
        (void)!write(2, kMsg, sizeof kMsg - 1);
        _exit(128 + sig);
      }
      std::cerr << "rvm-edge run: stopping (finishing items in flight)\n";
      pipeline.Stop();
      sleeper.Interrupt();
    }
  });

  bool timed_out = false;
  for (;;) {
    if (pipeline.WaitFor(std::chrono::milliseconds(100))) break;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (f.max_seconds > 0 && elapsed >= f.max_seconds && !stopping.exchange(true)) {
      pipeline.Stop();
      sleeper.Interrupt();
    }
    static double stop_started = -1;
    if (stopping.load()) {
      if (stop_started < 0) stop_started = elapsed;
      if (elapsed - stop_started > f.shutdown_limit_s) {
        timed_out = true;
        break;
      }
    }
  }
  if (timed_out) {
    std::cerr << "rvm-edge run: items in flight did not finish within " << f.shutdown_limit_s
              << " s; exiting\n";
    std::fflush(nullptr);
    _exit(kExitFailure);
  }
  Status result = pipeline.Wait();
  done.store(true);
  signals.join();
  // The service is going down: the open session ends with it.
  if (Status s = recorder.CloseSession(); !s.ok() && result.ok()) result = s;
  if (Status s = recorder.Flush(); !s.ok() && result.ok()) result = s;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cerr << StatsLine(pipeline.stats(), seconds) << "\n";
  if (!result.ok()) {
    std::cerr << "rvm-edge run: " << result.message() << "\n";
    return kExitFailure;
  }
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
  cmd->add_option("--workers", flags->workers, "Override pipeline.inference_workers")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--batch", flags->batch, "Override pipeline.batch_max_size")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--threads", flags->threads, "Override detector.intra_op_threads")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--conf", flags->conf, "Override detector.conf_threshold")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--replay", flags->replay,
                "Replay a recording as fast as possible: no pacing, every frame to the "
                "detector (the motion gate's idle mode is bypassed)");
  cmd->add_option("--max-seconds", flags->max_seconds,
                  "Stop (as on SIGTERM) after this many seconds; 0 = run until the source ends")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--shutdown-limit", flags->shutdown_limit_s,
                  "Seconds allowed for finishing the items in flight after a stop")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([flags, &action] { action = [flags] { return RunService(*flags); }; });
}

}  // namespace rvm::app
