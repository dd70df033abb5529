#include "admin/fake_service_control.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/clock.h"

namespace rvm::admin {

std::string MakeTestJpeg(int width, int height, int seed) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(40, 44, 48));
  const cv::Scalar colour(60 + (seed * 53) % 190, 80 + (seed * 97) % 170, 90 + (seed * 31) % 160);
  const int cx = width / 3 + (seed * 17) % std::max(1, width / 3);
  cv::rectangle(img, cv::Rect(cx - width / 10, height / 5, width / 5, height * 3 / 5), colour,
                cv::FILLED);
  cv::circle(img, cv::Point(cx, height / 5), std::max(2, width / 20), colour, cv::FILLED);
  std::vector<uchar> out;
  cv::imencode(".jpg", img, out, {cv::IMWRITE_JPEG_QUALITY, 80});
  return std::string(out.begin(), out.end());
}

ops::ServiceStatus RealisticStatus() {
  ops::ServiceStatus s;
  s.machine_id = "rvm-edge-dev";
  s.machine_name = "RVM Edge (demo)";
  s.version = "0.1.0";
  s.uptime_s = 3 * 3600 + 17 * 60;
  s.conf_threshold = 0.25;
  s.model = "yolox_nano.onnx";
  s.source = "video bottling_line_conveyor_bottles.mp4";
  s.last_frame_age_ms = 40;
  PipelineStats& p = s.pipeline;
  p.frames_sampled = 412'345;
  p.frames_to_detector = 98'765;
  p.frames_idle = p.frames_sampled - p.frames_to_detector;
  p.read_failures = 3;
  p.mode = "active";
  p.frame_queue = {4, 1, 4, 98'765, 98'764, 12, 0, 310};
  p.result_queue = {8, 0, 5, 98'764, 98'764, 0, 0, 0};
  p.frame_pool = {8, 3, 8, 412'345, 57, 0};
  p.workers = 2;
  p.batch_capacity = 1;
  p.batches = 98'753;
  p.frames_inferred = 98'753;
  p.max_batch = 1;
  p.inference_ms_total = 98'753 * 38.5;
  p.frames_tracked = 98'753;
  p.items_decided = 2'314;
  p.items_accepted = 2'101;
  p.tracker = {98'753, 2'590, 2'314, 276, 41};
  outbox::OutboxStats o;
  o.pending = 7;
  o.delivered = 2'290;
  o.parked = 1;
  o.pending_bytes = 7 * 48'000;
  o.oldest_pending_age_ms = 2'400;
  o.evidence_stored = 2'305;
  o.bytes_used = 120'000'000;
  o.quota_bytes = 1'073'741'824;
  o.group_commits = 2'200;
  o.appended = 2'314;
  s.outbox = o;
  uplink::DeliveryStats d;
  d.rounds = 2'400;
  d.delivered = 2'290;
  d.parked = 1;
  d.retries = 23;
  d.api_calls = 2'330;
  d.connections_opened = 4;
  d.circuit = "closed";
  d.circuit_opened = 1;
  d.backlog_records = 7;
  s.delivery = d;
  return s;
}

ops::RecentDecision RealisticDecision(int n, int64_t decided_ms, bool with_thumbnail) {
  static const char* kLabels[] = {"bottle", "can", "wine glass", "cup"};
  static const std::optional<Material> kMaterials[] = {Material::kPet, Material::kAluminium,
                                                       Material::kGlass, std::nullopt};
  ops::RecentDecision r;
  Decision& d = r.decision;
  char id[40];
  std::snprintf(id, sizeof(id), "0190a000-0000-7000-8000-%012d", n);
  d.item_id = id;
  d.machine_id = "rvm-edge-dev";
  d.session_id = "0190a000-0000-7000-8000-000000000000";
  d.session_kind = "guest";
  const int k = n % 7 == 3 ? 3 : n % 3;
  d.class_id = 39 + k;
  d.label = kLabels[k];
  d.material = kMaterials[k];
  d.confidence = 0.55 + 0.05 * (n % 8);
  d.vote_share = 0.9;
  d.threshold = 0.5;
  d.accepted = d.material.has_value();
  d.reason = d.accepted ? RejectReason::kNone : RejectReason::kUnknownItem;
  d.points = d.accepted ? 1 : 0;
  d.frames = 8 + n % 9;
  d.distinct_classes = 1;
  d.finish = "settled";
  d.first_seen_ms = decided_ms - 900;
  d.last_seen_ms = decided_ms - 100;
  d.decided_ms = decided_ms;
  d.best_box = {100, 80, 220, 400};
  d.best_score = static_cast<float>(d.confidence);
  d.best_frame_ms = decided_ms - 400;
  d.stage_ms = {{"capture", 2.1}, {"inference", 38.0}, {"decide", 0.3}};
  if (with_thumbnail) r.thumbnail_jpeg = MakeTestJpeg(160, 120, n);
  return r;
}

FakeServiceControl::FakeServiceControl(ops::ServiceStatus status) : status_(std::move(status)) {}

void FakeServiceControl::Update(const std::function<void(ops::ServiceStatus&)>& edit) {
  std::lock_guard<std::mutex> lock(mu_);
  edit(status_);
}

void FakeServiceControl::AddDecision(ops::RecentDecision decision) {
  std::lock_guard<std::mutex> lock(mu_);
  decisions_.push_back(std::move(decision));
  if (decisions_.size() > 200) decisions_.erase(decisions_.begin());
}

void FakeServiceControl::SetSnapshot(std::string jpeg) {
  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(jpeg);
}

void FakeServiceControl::AddLog(std::string line) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_.push_back(std::move(line));
  if (logs_.size() > 1000) logs_.erase(logs_.begin());
}

ops::ServiceStatus FakeServiceControl::Status() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::vector<ops::ReadinessCheck> FakeServiceControl::Readiness() {
  return EvaluateReadiness(Status());
}

std::vector<ops::RecentDecision> FakeServiceControl::RecentDecisions(int max) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ops::RecentDecision> out;
  for (auto it = decisions_.rbegin(); it != decisions_.rend() && static_cast<int>(out.size()) < max;
       ++it) {
    out.push_back(*it);
  }
  return out;
}

std::string FakeServiceControl::SnapshotJpeg() {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

void FakeServiceControl::Trigger() { ++triggers_; }

rvm::Status FakeServiceControl::SetMaintenance(bool on, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  status_.maintenance = on;
  status_.maintenance_reason = on ? reason : "";
  status_.accepting = !on && (!status_.outbox || status_.outbox->accepting);
  return rvm::Status::Ok();
}

rvm::Status FakeServiceControl::SetConfThreshold(double threshold) {
  if (!(threshold >= 0 && threshold <= 1)) {
    return InvalidArgument("detector.conf_threshold = " + std::to_string(threshold) +
                           ": must be in [0, 1]");
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.conf_threshold = threshold;
  return rvm::Status::Ok();
}

rvm::Status FakeServiceControl::RestartPipeline() {
  ++restarts_;
  std::lock_guard<std::mutex> lock(mu_);
  ++status_.pipeline_restarts;
  return rvm::Status::Ok();
}

std::vector<std::string> FakeServiceControl::RecentLogs(int max_lines) {
  std::lock_guard<std::mutex> lock(mu_);
  const size_t n = std::min(logs_.size(), static_cast<size_t>(std::max(0, max_lines)));
  return std::vector<std::string>(logs_.end() - static_cast<std::ptrdiff_t>(n), logs_.end());
}

ServiceSimulator::ServiceSimulator(FakeServiceControl& control, AdminMetrics& metrics,
                                   std::chrono::milliseconds tick)
    : control_(control), metrics_(metrics), tick_(tick) {}

ServiceSimulator::~ServiceSimulator() { Stop(); }

void ServiceSimulator::Start() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void ServiceSimulator::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ServiceSimulator::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    Tick();
    lock.lock();
    cv_.wait_for(lock, tick_, [this] { return stop_; });
  }
}

void ServiceSimulator::Tick() {
  std::uniform_int_distribution<int> frames(2, 4);
  std::normal_distribution<double> inference(38, 4), capture(2.2, 0.4), queue(1.2, 0.5),
      decide(0.35, 0.1);
  const int n = frames(rng_);
  const double dt = tick_.count() / 1000.0;
  const bool decide_now = std::uniform_int_distribution<int>(0, 14)(rng_) == 0;
  const bool active = std::uniform_int_distribution<int>(0, 3)(rng_) != 0;
  for (int i = 0; i < n; ++i) {
    metrics_.OnStage("capture", std::max(0.1, capture(rng_)));
    if (!active) continue;
    metrics_.OnStage("queue", std::max(0.01, queue(rng_)));
    metrics_.OnStage("inference", std::max(5.0, inference(rng_)));
    metrics_.OnBatch(1);
    metrics_.OnStage("decide", std::max(0.01, decide(rng_)));
  }
  const int64_t now_ms = SteadyClock::Instance().WallMillis();
  ops::RecentDecision decision;
  if (decide_now) {
    decision = RealisticDecision(++items_, now_ms, true);
    metrics_.OnDecision(decision.decision);
  }
  control_.Update([&](ops::ServiceStatus& s) {
    PipelineStats& p = s.pipeline;
    s.uptime_s += dt;
    s.last_frame_age_ms = 20 + n * 5;
    p.mode = active ? "active" : "idle";
    p.frames_sampled += n;
    (active ? p.frames_to_detector : p.frames_idle) += n;
    if (active) {
      p.frames_inferred += n;
      p.batches += n;
      p.frames_tracked += n;
      p.inference_ms_total += n * 38.0;
    }
    p.frame_queue.depth = active ? static_cast<size_t>(n % 3) : 0;
    p.result_queue.depth = active ? 1 : 0;
    p.frame_pool.in_use = active ? 2 + n % 3 : 1;
    if (s.outbox) {
      if (decide_now) {
        ++s.outbox->pending;
        ++s.outbox->appended;
      } else if (s.outbox->pending > 0 && n == 4) {
        --s.outbox->pending;
        ++s.outbox->delivered;
        if (s.delivery) {
          ++s.delivery->delivered;
          ++s.delivery->api_calls;
        }
      }
      s.outbox->pending_bytes = s.outbox->pending * 48'000;
      s.outbox->oldest_pending_age_ms = s.outbox->pending > 0 ? 1'000 + n * 300 : 0;
    }
    if (decide_now) {
      ++p.items_decided;
      if (decision.decision.accepted) ++p.items_accepted;
    }
  });
  if (decide_now) {
    control_.SetSnapshot(MakeTestJpeg(640, 480, items_));
    control_.AddLog("decision " + decision.decision.item_id + " " + decision.decision.label + " " +
                    (decision.decision.accepted ? "ACCEPTED" : "REJECTED"));
    control_.AddDecision(std::move(decision));
  }
}

}  // namespace rvm::admin
