#include "app/service.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "app/command.h"
#include "app/detector_flags.h"
#include "config/config_reload.h"
#include "deposit/decision_policy.h"
#include "logging/logging.h"
#include "outbox/env.h"
#include "pipeline/pipeline_config.h"
#include "uplink/outbox_sink.h"
#include "uplink/platform_client_factory.h"
#include "vision/annotate.h"

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

// Passes every record to each sink in turn. The first failure stops the
// record: a decision the outbox refused is reported as written nowhere.
class TeeSink final : public DecisionSink {
 public:
  explicit TeeSink(std::vector<std::unique_ptr<DecisionSink>> sinks) : sinks_(std::move(sinks)) {}
  Status Write(const Decision& d) override {
    for (auto& s : sinks_) RVM_RETURN_IF_ERROR(s->Write(d));
    return Status::Ok();
  }
  Status WriteSessionSummary(const SessionSummary& summary) override {
    for (auto& s : sinks_) RVM_RETURN_IF_ERROR(s->WriteSessionSummary(summary));
    return Status::Ok();
  }
  Status Flush() override {
    Status first = Status::Ok();
    for (auto& s : sinks_) {
      if (Status st = s->Flush(); !st.ok() && first.ok()) first = st;
    }
    return first;
  }
  bool Accepting() override {
    for (auto& s : sinks_) {
      if (!s->Accepting()) return false;
    }
    return true;
  }

 private:
  std::vector<std::unique_ptr<DecisionSink>> sinks_;
};

// A JPEG at most `max_width` pixels wide of a JPEG; empty on failure.
std::string Thumbnail(const std::string& jpeg, int max_width) {
  if (jpeg.empty()) return {};
  std::vector<uint8_t> bytes(jpeg.begin(), jpeg.end());
  cv::Mat image = cv::imdecode(bytes, cv::IMREAD_REDUCED_COLOR_2);
  if (image.empty()) return {};
  if (image.cols > max_width) {
    const double scale = static_cast<double>(max_width) / image.cols;
    cv::resize(image, image, cv::Size(), scale, scale, cv::INTER_AREA);
  }
  std::vector<uint8_t> out;
  if (!cv::imencode(".jpg", image, out, {cv::IMWRITE_JPEG_QUALITY, 80})) return {};
  return std::string(out.begin(), out.end());
}

}  // namespace

outbox::OutboxOptions OutboxOptionsFromConfig(const OutboxConfig& c) {
  outbox::OutboxOptions o;
  o.dir = c.dir;
  o.quota_bytes = c.quota_bytes;
  return o;
}

rvm::Status CheckOutboxConfig(const OutboxConfig& c) {
  const outbox::OutboxOptions o = OutboxOptionsFromConfig(c);
  const int64_t minimum = outbox::MinimumQuotaBytes(o);
  if (o.quota_bytes < minimum) {
    return InvalidArgument(fmt::format(
        "outbox.quota_bytes: {} is below the minimum {} (the WAL's {} + the ledger's reserve {} "
        "+ 64 KiB)",
        o.quota_bytes, minimum, o.wal_checkpoint_bytes, o.reserve_bytes));
  }
  return rvm::Status::Ok();
}

Service::Service(Config config, ServiceOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(SteadyClock::Instance()),
      started_at_(std::chrono::steady_clock::now()),
      conf_threshold_(config_.detector.conf_threshold) {}

Service::~Service() {
  if (heartbeat_) heartbeat_->Stop();
  {
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    if (pipeline_) {
      pipeline_->Stop();
      sleeper_.Interrupt();
    }
  }
  pipeline_.reset();
  if (delivery_) delivery_->Stop();
}

Result<std::unique_ptr<Service>> Service::Open(Config config, ServiceOptions options,
                                               bool& usage_error) {
  usage_error = false;
  std::unique_ptr<Service> s(new Service(std::move(config), std::move(options)));
  const Config& c = s->config_;
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
        *s->heartbeat_client_, *s, SteadyClock::Instance(),
        remote::HeartbeatOptionsFromConfig(c.uplink, kSoftwareVersion), s->uploader_.get());
  }

  // The decision sink: the outbox first (durable; the item is acknowledged
  // only once its record is committed), then the JSON lines file, then one
  // readable line per decision on standard error.
  std::vector<std::unique_ptr<DecisionSink>> sinks;
  uplink::DeliveryService* delivery = s->delivery_.get();
  sinks.push_back(std::make_unique<uplink::OutboxSink>(*s->outbox_, [delivery] {
    if (delivery != nullptr) delivery->Notify();
  }));
  auto lines = JsonLinesSink::Open(c.sink.decisions_path);
  if (!lines.ok()) return lines.status();
  sinks.push_back(std::unique_ptr<DecisionSink>(std::move(lines).value()));
  s->sink_ = std::make_unique<LoggingSink>(std::make_unique<TeeSink>(std::move(sinks)));
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

rvm::Status Service::BuildPipeline() {
  // The frame source is made once and reopened by every pipeline built over
  // it (a watched directory then goes on with the files it has not
  // delivered, instead of delivering them all again).
  if (!source_) {
    auto capture = CaptureOptionsFromConfig(config_.capture);
    if (!capture.ok()) return capture.status();
    capture->max_image_pixels = config_.detector.max_image_pixels;
    auto source = MakeFrameSource(*capture, clock_, sleeper_.AsSleepFn());
    if (!source.ok()) return source.status();
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    source_ = std::move(source->source);
  }
  PipelineOptions options = PipelineOptionsFromConfig(config_);
  options.detect_every_frame = options_.replay;
  PipelineParts parts;
  parts.source = source_.get();
  parts.detectors = ModelDetectorFactory(model_);
  parts.labels = labels_.get();
  parts.recorder = recorder_.get();
  parts.clock = &clock_;
  parts.sleep = sleeper_.AsSleepFn();
  parts.observer = this;
  auto pipeline = std::make_unique<Pipeline>(options, std::move(parts));
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  pipeline_ = std::move(pipeline);
  RVM_RETURN_IF_ERROR(pipeline_->SetConfThreshold(conf_threshold_.load()));
  return pipeline_->Start();
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
  UpdateAccepting();
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
  bool restart = false;
  {
    std::lock_guard<std::mutex> lock(restart_mu_);
    restart = restart_requested_;
  }
  if (!restart) return finished;
  if (!finished) return false;  // the restart's Stop is still draining
  // Restart: the old pipeline has drained; build a new one over a reopened source.
  rvm::Status result = pipeline->Wait();
  sleeper_.Reset();
  {
    std::lock_guard<std::mutex> lock(restart_mu_);
    if (reloaded_capture_) config_.capture = *std::exchange(reloaded_capture_, std::nullopt);
  }
  if (result.ok()) result = BuildPipeline();
  if (result.ok()) ++restarts_;
  {
    std::lock_guard<std::mutex> lock(restart_mu_);
    restart_requested_ = false;
    restart_status_ = result;
    ++restart_generation_;
  }
  restart_cv_.notify_all();
  return !result.ok();
}

void Service::Stop() {
  stopping_.store(true);
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  if (pipeline_) pipeline_->Stop();
  sleeper_.Interrupt();
}

rvm::Status Service::Finish() {
  rvm::Status result = rvm::Status::Ok();
  {
    std::lock_guard<std::mutex> lock(restart_mu_);
    if (!restart_status_.ok()) result = restart_status_;
  }
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
      o->parked, o->accepting ? "" : ", NOT ACCEPTING (quota or disk full)");
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

void Service::UpdateAccepting() {
  bool maintenance = false;
  std::string reason;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    maintenance = maintenance_;
    reason = maintenance_reason_;
  }
  recorder_->SetOutOfService(maintenance, maintenance ? "maintenance: " + reason : "");
}

ops::ServiceStatus Service::Status() {
  ops::ServiceStatus s;
  s.machine_id = config_.machine.id;
  s.machine_name = config_.machine.name;
  s.version = kSoftwareVersion;
  s.uptime_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    s.maintenance = maintenance_;
    s.maintenance_reason = maintenance_reason_;
  }
  s.conf_threshold = conf_threshold_.load();
  s.model = config_.detector.model_path;
  s.source = DescribeSource();
  s.pipeline_restarts = restarts_.load();
  s.pipeline = pipeline_stats();
  s.last_frame_age_ms = s.pipeline.last_frame_age_ms(clock_.Now());
  s.outbox = OutboxStats();
  if (delivery_) s.delivery = delivery_->Stats();
  s.accepting = !s.maintenance && (!s.outbox || s.outbox->accepting);
  return s;
}

std::vector<ops::ReadinessCheck> Service::Readiness() {
  const ops::ServiceStatus s = Status();
  std::vector<ops::ReadinessCheck> checks;
  checks.push_back({"model", model_ != nullptr, config_.detector.model_path});

  ops::ReadinessCheck source{"frame_source", false, ""};
  bool finished = false;
  {
    std::lock_guard<std::mutex> lock(pipeline_mu_);
    finished = pipeline_ == nullptr || pipeline_->finished();
  }
  if (finished) {
    source.detail = "the pipeline is not running";
  } else if (s.last_frame_age_ms < 0) {
    source.detail = "no frame delivered yet";
  } else if (s.last_frame_age_ms > options_.frame_stall.count()) {
    source.detail = fmt::format("no frame for {:.1f} s", s.last_frame_age_ms / 1000.0);
  } else {
    source.ok = true;
    source.detail = fmt::format("last frame {} ms ago", s.last_frame_age_ms);
  }
  checks.push_back(source);

  ops::ReadinessCheck box{"outbox", false, ""};
  if (!s.outbox) {
    box.detail = "outbox statistics unreadable";
  } else {
    box.ok = true;
    box.detail = fmt::format("{} pending, {} of {} bytes used", s.outbox->pending,
                             s.outbox->bytes_used, s.outbox->quota_bytes);
  }
  checks.push_back(box);

  ops::ReadinessCheck accepting{"accepting", s.accepting, ""};
  if (s.maintenance) {
    accepting.detail =
        "in maintenance" +
        (s.maintenance_reason.empty() ? std::string() : " (" + s.maintenance_reason + ")");
  } else if (s.outbox && !s.outbox->accepting) {
    accepting.detail = "the outbox is full (quota or disk): items are refused";
  } else {
    accepting.detail = "accepting items";
  }
  checks.push_back(accepting);
  return checks;
}

std::vector<ops::RecentDecision> Service::RecentDecisions(int max) {
  std::vector<ops::RecentDecision> out;
  std::lock_guard<std::mutex> lock(state_mu_);
  for (auto it = recent_.rbegin(); it != recent_.rend() && static_cast<int>(out.size()) < max;
       ++it) {
    out.push_back(*it);
  }
  return out;
}

std::string Service::SnapshotJpeg() {
  cv::Mat image;
  Detections detections;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (snapshot_.empty()) return {};
    image = snapshot_.clone();
    detections = snapshot_detections_;
  }
  DrawDetections(image, detections, model_->labels());
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".jpg", image, bytes, {cv::IMWRITE_JPEG_QUALITY, 85})) return {};
  return std::string(bytes.begin(), bytes.end());
}

void Service::Trigger() {
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  if (pipeline_) pipeline_->Trigger();
}

rvm::Status Service::SetMaintenance(bool on, const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    maintenance_ = on;
    maintenance_reason_ = on ? reason : "";
  }
  UpdateAccepting();
  Logger("run").Info(std::string(on ? "entering maintenance" : "leaving maintenance") +
                     (reason.empty() ? "" : " (" + reason + ")"));
  return rvm::Status::Ok();
}

rvm::Status Service::SetConfThreshold(double threshold) {
  if (!(threshold >= 0.0 && threshold <= 1.0)) {
    return InvalidArgument(fmt::format("confidence threshold {} is outside [0, 1]", threshold));
  }
  conf_threshold_.store(threshold);
  std::lock_guard<std::mutex> lock(pipeline_mu_);
  if (pipeline_) return pipeline_->SetConfThreshold(threshold);
  return rvm::Status::Ok();
}

int64_t Service::RequestRestart() {
  std::lock_guard<std::mutex> lock(restart_mu_);
  if (!restart_requested_) {
    restart_requested_ = true;
    std::lock_guard<std::mutex> plock(pipeline_mu_);
    if (pipeline_) pipeline_->Stop();
    sleeper_.Interrupt();
  }
  return restart_generation_;
}

rvm::Status Service::RestartPipeline() {
  if (stopping_.load()) return Unavailable("the service is stopping");
  const int64_t generation = RequestRestart();
  // The controlling thread rebuilds the pipeline (WaitFor).
  std::unique_lock<std::mutex> lock(restart_mu_);
  if (!restart_cv_.wait_for(lock, std::chrono::seconds(30),
                            [&] { return restart_generation_ != generation; })) {
    return Unavailable("the pipeline did not restart within 30 s");
  }
  return restart_status_;
}

Service::ReloadReport Service::Reload(const Config& fresh) {
  ReloadReport report;
  const ReloadPlan plan = PlanReload(config_, fresh);
  report.restart_needed = plan.restart_needed;
  CaptureConfig capture = config_.capture;
  for (const std::string& key : plan.apply) {
    if (key == "detector.conf_threshold") {
      if (SetConfThreshold(fresh.detector.conf_threshold).ok()) {
        config_.detector.conf_threshold = fresh.detector.conf_threshold;
        report.applied.push_back(key);
      }
    } else if (key == "logging.level") {
      if (auto level = ParseLogLevel(fresh.logging.level); level.ok()) {
        SetLevel(*level);
        config_.logging.level = fresh.logging.level;
        report.applied.push_back(key);
      }
    } else if (key == "logging.format") {
      if (auto format = ParseLogFormat(fresh.logging.format); format.ok()) {
        SetFormat(*format);
        config_.logging.format = fresh.logging.format;
        report.applied.push_back(key);
      }
    } else if (key == "capture.idle_fps" || key == "capture.active_fps" ||
               key == "capture.motion_threshold" || key == "capture.quiet_period_ms") {
      // The scheduler and motion gate take them when the pipeline is rebuilt.
      capture.idle_fps = fresh.capture.idle_fps;
      capture.active_fps = fresh.capture.active_fps;
      capture.motion_threshold = fresh.capture.motion_threshold;
      capture.quiet_period_ms = fresh.capture.quiet_period_ms;
      report.pipeline_restart = true;
      report.applied.push_back(key);
    } else {
      // Safe to change, but this service reads it only at start-up.
      report.restart_needed.push_back(key);
    }
  }
  if (report.pipeline_restart && !stopping_.load()) {
    {
      std::lock_guard<std::mutex> lock(restart_mu_);
      reloaded_capture_ = capture;
    }
    RequestRestart();
  }
  return report;
}

std::vector<std::string> Service::RecentLogs(int max_lines) {
  if (!options_.recent_logs) return {};
  return options_.recent_logs(max_lines);
}

void Service::OnStage(std::string_view stage, double ms) {
  for (PipelineObserver* o : observers_) o->OnStage(stage, ms);
}

void Service::OnBatch(int size) {
  for (PipelineObserver* o : observers_) o->OnBatch(size);
}

void Service::OnFrameDetected(const Frame& frame, const Detections& detections) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (snapshot_.empty() || now - snapshot_at_ >= options_.snapshot_period) {
      frame.image.copyTo(snapshot_);
      snapshot_detections_ = detections;
      snapshot_at_ = now;
    }
  }
  for (PipelineObserver* o : observers_) o->OnFrameDetected(frame, detections);
}

void Service::OnDecision(const Decision& decision) {
  ops::RecentDecision recent;
  recent.decision = decision;
  recent.decision.best_frame_jpeg.clear();
  recent.thumbnail_jpeg = Thumbnail(decision.best_frame_jpeg, 160);
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    recent_.push_back(std::move(recent));
    while (static_cast<int>(recent_.size()) > options_.recent_decisions) recent_.pop_front();
  }
  for (PipelineObserver* o : observers_) o->OnDecision(decision);
}

}  // namespace rvm::app
