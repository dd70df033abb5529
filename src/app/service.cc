#include "app/service.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "app/command.h"
#include "app/detector_flags.h"
#include "app/tee_sink.h"
#include "config/toml_text.h"
#include "deposit/decision_policy.h"
#include "logging/logging.h"
#include "outbox/env.h"
#include "pipeline/pipeline_config.h"
#include "uplink/outbox_sink.h"
#include "uplink/platform_client_factory.h"

namespace rvm::app {
namespace {

// Passes every record on to `inner` and prints one readable line per
// decision and per session on standard error, for the operator.
class LoggingSink final : public DecisionSink {
 public:
  explicit LoggingSink(std::unique_ptr<DecisionSink> inner) : inner_(std::move(inner)) {}
  Status Write(const Decision& d) override {
    RVM_RETURN_IF_ERROR(inner_->Write(d));
    Logger("decision")
        .Info(fmt::format("{:<8} {:<14} {:<10} conf {:.2f}  {} frames ({}){}{}",
                          d.accepted ? "ACCEPTED" : "REJECTED", d.label,
                          d.material ? std::string(MaterialName(*d.material)) : "-", d.confidence,
                          d.frames, d.finish,
                          d.accepted ? "" : "  reason: ", std::string(RejectReasonName(d.reason))));
    return Status::Ok();
  }
  Status WriteSessionSummary(const SessionSummary& s) override {
    RVM_RETURN_IF_ERROR(inner_->WriteSessionSummary(s));
    Logger("decision")
        .Info(fmt::format("session {} closed ({}): {} accepted of {}, {} points",
                          s.session.session_id, s.close_reason, s.accepted_count(), s.items.size(),
                          s.total_points()));
    return Status::Ok();
  }
  Status Flush() override { return inner_->Flush(); }
  bool Accepting() override { return inner_->Accepting(); }

 private:
  std::unique_ptr<DecisionSink> inner_;
};

}  // namespace

outbox::OutboxOptions OutboxOptionsFromConfig(const OutboxConfig& c) {
  outbox::OutboxOptions o;
  o.dir = c.dir;
  o.quota_bytes = c.quota_bytes;
  return o;
}

rvm::Status CheckOutboxConfig(const OutboxConfig& c) {
  const std::string problem = outbox::QuotaBytesProblem(OutboxOptionsFromConfig(c));
  if (!problem.empty()) return InvalidArgument("outbox.quota_bytes: " + problem);
  return rvm::Status::Ok();
}

std::vector<std::string> ConfigPathProblems(const Config& c) {
  namespace fs = std::filesystem;
  std::vector<std::string> problems;
  enum class Want { kFile, kFolder };
  auto check = [&problems](const std::string& key, const std::string& path, Want want) {
    std::error_code ec;
    const fs::file_status st = fs::status(path, ec);
    std::string what;
    if (!fs::exists(st)) {
      what = want == Want::kFile ? "no such file" : "no such folder";
    } else if (want == Want::kFile && fs::is_directory(st)) {
      what = "is a folder, not a file";
    } else if (want == Want::kFile && !fs::is_regular_file(st)) {
      what = "is not a regular file";
    } else if (want == Want::kFolder && !fs::is_directory(st)) {
      what = "is not a folder";
    } else {
      return;
    }
    if (fs::path(path).is_relative()) {
      what += " (relative to the working directory " + fs::current_path(ec).string() + ")";
    }
    problems.push_back(key + " = " + TomlString(path) + ": " + what);
  };
  check("detector.model_path", c.detector.model_path, Want::kFile);
  if (!c.detector.labels_path.empty()) {
    check("detector.labels_path", c.detector.labels_path, Want::kFile);
  }
  if (c.capture.source == SourceKindName(SourceKind::kVideo) && !c.capture.path.empty()) {
    check("capture.path", c.capture.path, Want::kFile);
  }
  if (c.capture.source == SourceKindName(SourceKind::kImages) && !c.capture.path.empty()) {
    check("capture.path", c.capture.path, Want::kFolder);
  }
  if (c.sink.decisions_path != "-" && !c.sink.decisions_path.empty()) {
    const fs::path folder = fs::path(c.sink.decisions_path).parent_path();
    std::error_code ec;
    // The outbox makes its folder and the folders above it before the
    // decisions file is opened.
    const fs::path outbox = fs::absolute(c.outbox.dir, ec).lexically_normal();
    const fs::path above = fs::absolute(folder, ec).lexically_normal();
    const bool outbox_makes_it =
        !folder.empty() &&
        std::mismatch(above.begin(), above.end(), outbox.begin(), outbox.end()).first ==
            above.end();
    if (fs::is_directory(c.sink.decisions_path, ec)) {
      problems.push_back("sink.decisions_path = " + TomlString(c.sink.decisions_path) +
                         ": is a folder, not a file");
    } else if (!folder.empty() && !outbox_makes_it && !fs::is_directory(folder, ec)) {
      problems.push_back("sink.decisions_path = " + TomlString(c.sink.decisions_path) +
                         ": its folder '" + folder.string() + "' does not exist");
    }
  }
  if (!c.uplink.ca_path.empty()) check("uplink.ca_path", c.uplink.ca_path, Want::kFile);
  return problems;
}

Service::Service(ServiceOptions options)
    : options_(std::move(options)),
      clock_(SteadyClock::Instance()),
      restart_([this] { StopPipeline(); }) {}

Service::~Service() {
  if (heartbeat_) heartbeat_->Stop();
  StopPipeline();
  pipeline_.reset();
  if (delivery_) delivery_->Stop();
}

void Service::StopPipeline() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  if (pipeline_) pipeline_->Stop();
  sleeper_.Interrupt();
}

Result<std::unique_ptr<Service>> Service::Open(Config config, ServiceOptions options,
                                               bool& usage_error) {
  usage_error = false;
  std::unique_ptr<Service> s(new Service(std::move(options)));
  Service* const service = s.get();
  s->settings_ = std::make_unique<LiveSettings>(
      std::move(config), [service](const RuntimeSettings& r) { service->ApplySettings(r); });
  const Config& c = s->settings_->startup();
  // Every file and folder start-up opens, named at once as `config check`
  // names them, before anything is opened; on one line, as the log has it.
  if (std::vector<std::string> problems = ConfigPathProblems(c); !problems.empty()) {
    std::string message = std::to_string(problems.size()) +
                          (problems.size() == 1 ? " problem" : " problems") +
                          " with the files and folders the configuration names: ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i > 0 ? "; " : "") + problems[i];
    return NotFound(message);
  }
  auto detector_options = DetectorOptionsFromConfig(c.detector);
  if (!detector_options.ok()) {
    usage_error = true;
    return detector_options.status();
  }
  auto model = DetectorModel::Load(*detector_options);
  if (!model.ok()) return model.status();
  s->model_ = std::move(model).value();
  auto labels = LabelMap::Create(s->model_->labels(), c.policy);
  if (!labels.ok()) {
    usage_error = true;
    return labels.status();
  }
  s->labels_ = std::make_unique<LabelMap>(std::move(labels).value());
  s->activity_ = std::make_unique<RecentActivity>(s->options_.activity, s->model_->labels(),
                                                  s->clock_);
  s->observers_.Add(s->activity_.get());
  ControlSurfaceOptions control;
  control.machine_id = c.machine.id;
  control.machine_name = c.machine.name;
  control.version = kSoftwareVersion;
  control.model = c.detector.model_path;
  control.recent_logs = s->options_.recent_logs;
  s->control_ = std::make_unique<ControlSurface>(std::move(control), *s, *s->settings_,
                                                 *s->activity_, s->clock_);

  if (rvm::Status st = CheckOutboxConfig(c.outbox); !st.ok()) {
    usage_error = true;
    return st;
  }
  const outbox::OutboxOptions outbox_options = OutboxOptionsFromConfig(c.outbox);
  auto box = outbox::Outbox::Open(outbox_options, outbox::PosixEnv(), SteadyClock::Instance());
  if (!box.ok()) return box.status();
  s->outbox_ = std::move(box).value();
  if (!c.uplink.base_url.empty()) {
    auto client =
        uplink::MakePlatformClient(c.uplink, c.machine, kSoftwareVersion, SteadyClock::Instance(),
                                   s->options_.on_uplink_request);
    if (!client.ok()) {
      usage_error = true;
      return client.status();
    }
    s->client_ = std::move(client).value();
    // The delivery thread makes the handshake and retries it until it
    // succeeds; nothing else waits for it (uplink/delivery_service.h).
    uplink::DeliveryOptions delivery_options = uplink::DeliveryOptionsFromConfig(c.uplink);
    delivery_options.handshake = true;
    s->delivery_ = std::make_unique<uplink::DeliveryService>(
        *s->outbox_, *s->client_, SteadyClock::Instance(), delivery_options);
    // The heartbeat has its own client: clients are not thread-safe and the
    // delivery thread owns the first one.
    auto heartbeat_client =
        uplink::MakePlatformClient(c.uplink, c.machine, kSoftwareVersion, SteadyClock::Instance(),
                                   s->options_.on_uplink_request);
    if (!heartbeat_client.ok()) return heartbeat_client.status();
    s->heartbeat_client_ = std::move(heartbeat_client).value();
    if (c.uplink.contract == "edge_v1") {
      // Where CAPTURE_IMAGE snapshots go.
      auto uploader = remote::DatasetUploader::Create(
          uplink::ClientOptionsFromConfig(c.uplink, c.machine, kSoftwareVersion),
          SteadyClock::Instance());
      if (!uploader.ok()) return uploader.status();
      s->uploader_ = std::move(uploader).value();
    }
    s->heartbeat_ = std::make_unique<remote::HeartbeatService>(
        *s->heartbeat_client_, *s->control_, SteadyClock::Instance(),
        remote::HeartbeatOptionsFromConfig(c.uplink, kSoftwareVersion), s->uploader_.get());
  }

  // The decision sink: the outbox first, the commit point (the item is
  // acknowledged only once its record is committed, and only the outbox's
  // answer decides that); then the JSON lines file, a side log whose
  // failures are counted and logged (TeeSink); then one readable line per
  // decision on standard error.
  uplink::DeliveryService* delivery = s->delivery_.get();
  auto outbox_sink = std::make_unique<uplink::OutboxSink>(*s->outbox_, [delivery] {
    if (delivery != nullptr) delivery->Notify();
  });
  auto lines = JsonLinesSink::Open(c.sink.decisions_path);
  if (!lines.ok()) return lines.status();
  std::vector<std::unique_ptr<DecisionSink>> side_logs;
  side_logs.push_back(std::unique_ptr<DecisionSink>(std::move(lines).value()));
  auto tee = std::make_unique<TeeSink>(std::move(outbox_sink), std::move(side_logs), s->clock_);
  s->tee_ = tee.get();
  s->sink_ = std::make_unique<LoggingSink>(std::move(tee));
  s->ids_ = std::make_unique<UuidV7Generator>(s->clock_);
  s->recorder_ = std::make_unique<DecisionRecorder>(c.machine, c.policy, c.sessions, *s->labels_,
                                                    *s->sink_, s->clock_, *s->ids_);

  // The frame source is checked now so a bad one fails at start.
  auto capture = CaptureOptionsFromConfig(c.capture);
  if (!capture.ok()) {
    usage_error = true;
    return capture.status();
  }
  PipelineOptions pipeline_options = PipelineOptionsFromConfig(c);
  if (rvm::Status st = ValidatePipelineOptions(pipeline_options); !st.ok()) {
    usage_error = true;
    return st;
  }
  return s;
}

rvm::Status Service::BuildPipeline(const std::vector<Box>& decided_in_view) {
  const Config& config = settings_->startup();
  // The frame source is made once and reopened by every pipeline built over
  // it (a watched directory then goes on with the files it has not
  // delivered, instead of delivering them all again).
  if (!source_) {
    auto capture = CaptureOptionsFromConfig(config.capture);
    if (!capture.ok()) return capture.status();
    capture->max_image_pixels = config.detector.max_image_pixels;
    capture->on_image_skipped = [this](const rvm::Status& why) {
      images_skipped_.fetch_add(1);
      Logger("run").Warn("skipped " + why.message());
    };
    auto source = MakeFrameSource(*capture, clock_, sleeper_.AsSleepFn());
    if (!source.ok()) return source.status();
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    source_ = std::move(source->source);
  }
  PipelineOptions options = PipelineOptionsFromConfig(config);
  options.detect_every_frame = options_.replay;
  PipelineParts parts;
  parts.source = source_.get();
  parts.detectors = ModelDetectorFactory(model_);
  parts.labels = labels_.get();
  parts.recorder = recorder_.get();
  parts.clock = &clock_;
  parts.sleep = sleeper_.AsSleepFn();
  parts.observer = &observers_;
  auto pipeline = std::make_unique<Pipeline>(options, std::move(parts));
  Pipeline* const built = pipeline.get();
  built->FollowDecided(decided_in_view);
  {
    // Under the settings' lock: a change made from now on reaches this
    // pipeline through ApplySettings, and none is missed meanwhile.
    settings_->WithCurrent([&](const RuntimeSettings& current) {
      built->SetRuntimeSettings(current);
      std::lock_guard<std::mutex> lock(pipeline_mu_);
      pipeline_ = std::move(pipeline);
    });
  }
  return built->Start();
}

void Service::ApplySettings(const RuntimeSettings& s) {
  {
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    if (pipeline_) pipeline_->SetRuntimeSettings(s);
  }
  if (recorder_) recorder_->SetRuntimeSettings(s);
  if (delivery_) delivery_->SetBackoff({s.retry_backoff_min_ms, s.retry_backoff_max_ms});
  if (heartbeat_) heartbeat_->SetInterval(std::chrono::seconds(s.heartbeat_interval_s));
  // Both were validated against the same lists ParseLogLevel/Format accept.
  if (auto level = ParseLogLevel(s.log_level); level.ok()) SetLevel(*level);
  if (auto format = ParseLogFormat(s.log_format); format.ok()) SetFormat(*format);
}

rvm::Status Service::Start() {
  // The ledger first: sessions an earlier run left open (a crash, a power
  // cut, a kill) are closed from their items' records, and their summaries
  // go into the outbox ahead of anything this run decides.
  auto recovered = uplink::RecoverUnclosedSessions(*outbox_);
  if (!recovered.ok()) return recovered.status();
  if (!recovered->empty()) {
    int items = 0;
    for (const SessionSummary& s : *recovered) items += static_cast<int>(s.items.size());
    Logger("run").Warn(fmt::format(
        "closing {} session(s) left open by an earlier run ({} item(s)): {}", recovered->size(),
        items, kRecoveredAfterRestart));
    if (rvm::Status st = recorder_->RecoverSessions(std::move(recovered).value()); !st.ok()) {
      Logger("run").Error("writing the recovered session summaries failed (" + st.message() +
                          "); they are written before the next item");
    }
  }
  // The handshake is the delivery thread's first act; an unreachable
  // platform is the offline case, not a reason to refuse items.
  if (delivery_) delivery_->Start();
  RVM_RETURN_IF_ERROR(BuildPipeline());
  if (heartbeat_) heartbeat_->Start();
  return rvm::Status::Ok();
}

bool Service::WaitFor(std::chrono::milliseconds timeout) {
  Pipeline* pipeline = nullptr;
  {
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    pipeline = pipeline_.get();
  }
  const bool finished = pipeline->WaitFor(timeout);
  if (!restart_.requested()) return finished;
  if (!finished) return false;  // the restart's Stop is still draining
  // Restart: the old pipeline has drained; build a new one over a reopened
  // source, following the items the old one decided that are still in view,
  // unless the source starts over (a replay: its first items are new).
  rvm::Status result = pipeline->Wait();
  sleeper_.Reset();
  // A copy: building the new pipeline destroys the old one.
  const std::vector<Box> in_view =
      source_->StartsOverWhenReopened() ? std::vector<Box>{} : pipeline->decided_in_view();
  if (result.ok()) result = BuildPipeline(in_view);
  if (result.ok()) ++restarts_;
  restart_.Complete(result);
  return !result.ok();
}

void Service::Stop() {
  stopping_.store(true);
  StopPipeline();
}

rvm::Status Service::Finish() {
  rvm::Status result = restart_.last_result();
  if (result.ok()) result = pipeline_->Wait();
  // The service is going down: the open session ends with it.
  if (rvm::Status s = recorder_->CloseSession(); !s.ok() && result.ok()) result = s;
  if (rvm::Status s = recorder_->Flush(); !s.ok() && result.ok()) result = s;
  return result;
}

void Service::DrainAndStopDelivery(double seconds) {
  if (heartbeat_) heartbeat_->Stop();
  if (!delivery_) return;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(seconds));
  delivery_->SendBatchesNow();
  while (std::chrono::steady_clock::now() < deadline) {
    auto stats = outbox_->Stats();
    if (!stats.ok() || stats->pending == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  delivery_->Stop();
}

PipelineStats Service::pipeline_stats() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  return pipeline_ ? pipeline_->stats() : PipelineStats{};
}

bool Service::pipeline_finished() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  return pipeline_ == nullptr || pipeline_->finished();
}

std::optional<outbox::OutboxStats> Service::OutboxStats() {
  // Counting the backlog costs time in proportion to it; status, metrics,
  // readiness and the heartbeat all ask, so one reading serves them for a
  // short while.
  std::lock_guard<std::mutex> lock(outbox_stats_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!outbox_stats_ || now - outbox_stats_at_ >= options_.outbox_stats_max_age) {
    auto o = outbox_->Stats();
    if (!o.ok()) return std::nullopt;
    outbox_stats_ = *o;
    outbox_stats_at_ = now;
  }
  return outbox_stats_;
}

std::string Service::DescribeSource() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  return source_ ? source_->Describe() : std::string("(no source)");
}

std::string Service::DeliverySummary() {
  auto o = outbox_->Stats();
  if (!o.ok()) return "outbox: " + o.status().message();
  std::string line = fmt::format(
      "outbox: {} appended this run, {} pending ({} bytes, oldest {:.1f} s), {} delivered, {} "
      "parked{}",
      o->appended, o->pending, o->pending_bytes, o->oldest_pending_age_ms / 1000.0, o->delivered,
      o->parked, o->accepting ? "" : ", NOT ACCEPTING: " + o->not_accepting_reason);
  if (delivery_) {
    const uplink::DeliveryStats d = delivery_->Stats();
    line += fmt::format(
        "; platform: {} delivered this run, {} parked, {} retries, {} API calls over {} "
        "connection(s), circuit {}{}{}",
        d.delivered, d.parked, d.retries, d.api_calls, d.connections_opened, d.circuit,
        d.last_error.empty() ? "" : ", last error: ", d.last_error);
  } else {
    line += "; no platform configured: records stay in the outbox";
  }
  return line;
}

std::optional<uplink::DeliveryStats> Service::DeliveryStats() {
  if (!delivery_) return std::nullopt;
  return delivery_->Stats();
}

void Service::SetOutOfService(bool on, const std::string& reason) {
  recorder_->SetOutOfService(on, reason);
}

void Service::Trigger() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  if (pipeline_) pipeline_->Trigger();
}

rvm::Status Service::RestartPipeline() {
  if (stopping_.load()) return Unavailable("the service is stopping");
  // The controlling thread rebuilds the pipeline (WaitFor).
  return restart_.WaitPast(restart_.Request(), std::chrono::seconds(30));
}

}  // namespace rvm::app
