#include "pipeline/pipeline.h"

#include <algorithm>

#include "logging/logging.h"
#include "pipeline/pipeline_config.h"

namespace rvm {
namespace {

using SteadyTime = std::chrono::steady_clock;

double MsBetween(SteadyTime::time_point a, SteadyTime::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int RingCapacity(const TrackerConfig& t) {
  return std::max(1, t.settle_frames + t.max_missed_frames + 2);
}

int64_t MillisSinceEpoch(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

int64_t PipelineStats::last_frame_age_ms(std::chrono::steady_clock::time_point now) const {
  if (last_frame_ms < 0) return -1;
  return std::max<int64_t>(0, MillisSinceEpoch(now) - last_frame_ms);
}

Status ValidatePipelineOptions(const PipelineOptions& o) {
  const PipelineConfig& p = o.pipeline;
  auto bad = [](const std::string& key, int v, const std::string& rule) {
    return InvalidArgument("pipeline." + key + " = " + std::to_string(v) + ": " + rule);
  };
  if (p.frame_pool_size < 2) return bad("frame_pool_size", p.frame_pool_size, "must be >= 2");
  if (p.frame_queue_capacity < 1) {
    return bad("frame_queue_capacity", p.frame_queue_capacity, "must be >= 1");
  }
  if (p.detection_queue_capacity < 1) {
    return bad("detection_queue_capacity", p.detection_queue_capacity, "must be >= 1");
  }
  if (p.inference_workers < 1) {
    return bad("inference_workers", p.inference_workers, "must be >= 1");
  }
  if (p.batch_max_size < 1) return bad("batch_max_size", p.batch_max_size, "must be >= 1");
  if (p.batch_timeout_ms < 0) return bad("batch_timeout_ms", p.batch_timeout_ms, "must be >= 0");
  RVM_RETURN_IF_ERROR(CaptureScheduler::Validate(o.schedule));
  RVM_RETURN_IF_ERROR(MotionGate::Validate(o.motion));
  return Status::Ok();
}

Pipeline::Pipeline(PipelineOptions options, PipelineParts parts)
    : options_(std::move(options)),
      parts_(std::move(parts)),
      pool_(options_.pipeline.frame_pool_size),
      frames_(static_cast<size_t>(std::max(1, options_.pipeline.frame_queue_capacity)),
              FullPolicy::kDropOldest),
      results_(static_cast<size_t>(std::max(1, options_.pipeline.detection_queue_capacity)),
               FullPolicy::kBlock),
      scheduler_(options_.schedule, *parts_.clock),
      gate_(options_.motion),
      loop_(*parts_.source, scheduler_, gate_, *parts_.clock,
            [this](std::chrono::nanoseconds d) { WaitForSample(d); }),
      tracker_(options_.tracker),
      ring_(RingCapacity(options_.tracker)) {}

Pipeline::~Pipeline() {
  if (started_ && !joined_) {
    Stop();
    (void)Wait();
  }
}

Status Pipeline::Start() {
  if (started_) return InvalidArgument("pipeline: already started");
  if (parts_.source == nullptr || !parts_.detectors || parts_.labels == nullptr ||
      parts_.recorder == nullptr || parts_.clock == nullptr) {
    return InvalidArgument(
        "pipeline: a required part (source, detectors, labels, recorder, "
        "clock) is missing");
  }
  RVM_RETURN_IF_ERROR(ValidatePipelineOptions(options_));
  const int workers = options_.pipeline.inference_workers;
  int capacity = 0;
  detectors_.clear();  // from a Start() that failed
  for (int i = 0; i < workers; ++i) {
    auto d = parts_.detectors(options_.pipeline.batch_max_size);
    if (!d.ok()) {
      detectors_.clear();
      return d.status();
    }
    capacity = std::min((*d)->batch_capacity(), options_.pipeline.batch_max_size);
    detectors_.push_back(std::move(d).value());
  }
  if (Status s = parts_.source->Open(); !s.ok()) {
    detectors_.clear();
    return s;
  }
  {
    std::lock_guard lock(stats_mu_);
    stats_.workers = workers;
    stats_.batch_capacity = std::max(1, capacity);
  }
  started_ = true;
  workers_left_ = workers;
  decide_thread_ = std::thread([this] { DecideThread(); });
  for (int i = 0; i < workers; ++i) worker_threads_.emplace_back([this, i] { WorkerThread(i); });
  capture_thread_ = std::thread([this] { CaptureThread(); });
  return Status::Ok();
}

void Pipeline::Stop() { stop_.store(true); }

void Pipeline::FollowDecided(const std::vector<Box>& boxes) {
  tracker_.FollowDecided(boxes);
  // Capture sends frames to the detector while the tracker follows an item.
  item_in_progress_.store(tracker_.active_items() > 0);
}

void Pipeline::SetRuntimeSettings(const RuntimeSettings& settings) {
  conf_threshold_.store(static_cast<float>(settings.conf_threshold));
  {
    std::lock_guard lock(capture_settings_mu_);
    capture_settings_ = settings;
  }
  capture_settings_changed_.store(true);
}

Status Pipeline::Wait() {
  if (!started_) return InvalidArgument("pipeline: not started");
  if (!joined_) {
    capture_thread_.join();
    for (auto& t : worker_threads_) t.join();
    decide_thread_.join();
    parts_.source->Close();
    joined_ = true;
  }
  std::lock_guard lock(stats_mu_);
  return error_;
}

bool Pipeline::WaitFor(std::chrono::milliseconds timeout) {
  std::unique_lock lock(done_mu_);
  return done_cv_.wait_for(lock, timeout, [&] { return finished_.load(); });
}

void Pipeline::Fail(const Status& s) {
  {
    std::lock_guard lock(stats_mu_);
    if (error_.ok()) error_ = s;
  }
  stop_.store(true);
}

// The capture loop's wait for the next sample time. With an observer its
// duration is measured, so the "capture" stage reports the read and the
// motion gate, not the idle time between samples.
void Pipeline::WaitForSample(std::chrono::nanoseconds d) {
  if (parts_.observer == nullptr) {
    parts_.sleep(d);
    return;
  }
  const auto t0 = SteadyTime::now();
  parts_.sleep(d);
  sample_wait_ += SteadyTime::now() - t0;
}

// Capture: sample when due, gate, hand active frames to inference.
void Pipeline::CaptureThread() {
  PipelineObserver* const observer = parts_.observer;
  bool in_progress = false;
  FullPolicy frames_policy = FullPolicy::kDropOldest;
  if (options_.detect_every_frame) {
    in_progress = true;
    scheduler_.SetItemInProgress(true);
  }
  while (!stop_.load()) {
    if (capture_settings_changed_.exchange(false)) {
      std::lock_guard lock(capture_settings_mu_);
      const PipelineOptions live = PipelineOptionsWith(options_, *capture_settings_);
      scheduler_.SetOptions(live.schedule);
      gate_.set_min_changed_fraction(live.motion.min_changed_fraction);
    }
    const bool now_in_progress = item_in_progress_.load() || options_.detect_every_frame;
    if (now_in_progress != in_progress) {
      in_progress = now_in_progress;
      scheduler_.SetItemInProgress(in_progress);
    }
    FrameSlot* slot = pool_.Acquire(SteadyTime::now() + std::chrono::milliseconds(100));
    if (slot == nullptr) continue;  // backpressure: every slot is in flight
    SteadyTime::time_point t0;
    if (observer != nullptr) {
      sample_wait_ = {};
      t0 = SteadyTime::now();
    }
    Result<CaptureStep> step = loop_.Next(slot->frame);
    if (!step.ok()) {
      Release(slot);
      const Status& s = step.status();
      if (IsEndOfStream(s)) break;
      if (IsTemporary(s)) {
        {
          std::lock_guard lock(stats_mu_);
          ++stats_.read_failures;
        }
        parts_.sleep(options_.retry_delay);
        continue;
      }
      Fail(s);
      break;
    }
    if (observer != nullptr) {
      const double waited = std::chrono::duration<double, std::milli>(sample_wait_).count();
      observer->OnStage("capture", std::max(0.0, MsBetween(t0, SteadyTime::now()) - waited));
    }
    const int64_t delivered_ms = MillisSinceEpoch(parts_.clock->Now());
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.frames_sampled;
      stats_.last_frame_ms = delivered_ms;
      stats_.mode = CaptureModeName(step->mode);
      if (step->to_detector) {
        ++stats_.frames_to_detector;
      } else {
        ++stats_.frames_idle;
      }
    }
    if (!step->to_detector) {
      Release(slot);  // idle: the motion gate saw it, the detector does not
      continue;
    }
    // Frames that may belong to an item (something moves in the chute, the
    // tracker follows an item, or a replay where every frame counts) wait
    // for room; other live frames push out the oldest.
    const bool keep =
        step->motion.motion || item_in_progress_.load() || options_.detect_every_frame;
    const FullPolicy policy = keep ? FullPolicy::kBlock : FullPolicy::kDropOldest;
    if (policy != frames_policy) {
      frames_policy = policy;
      frames_.SetPolicy(policy);  // capture is the only producer: applies to this push on
    }
    auto pushed = frames_.Push(slot);
    if (pushed.returned) Release(*pushed.returned);  // dropped oldest, or closed
  }
  frames_.Close();
}

// Inference: take a frame (or a batch of frames), detect, pass on.
void Pipeline::WorkerThread(int index) {
  PipelineObserver* const observer = parts_.observer;
  FrameDetector& detector = *detectors_[index];
  float applied_threshold = -1.0f;  // SetConfThreshold's value this detector has
  const int capacity =
      std::max(1, std::min(detector.batch_capacity(), options_.pipeline.batch_max_size));
  const auto batch_timeout = std::chrono::milliseconds(options_.pipeline.batch_timeout_ms);
  std::vector<FrameSlot*> batch;
  std::vector<const cv::Mat*> images;
  std::vector<DetectionResult> results;
  batch.reserve(capacity);
  images.reserve(capacity);
  results.reserve(capacity);
  for (;;) {
    batch.clear();
    {
      // Taking frames and numbering them is one step, so ordinals follow
      // queue order across workers.
      std::lock_guard lock(dispatch_mu_);
      std::optional<FrameSlot*> first = frames_.Pop();
      if (!first) break;
      batch.push_back(*first);
      if (capacity > 1) {
        const auto deadline = SteadyTime::now() + batch_timeout;
        while (static_cast<int>(batch.size()) < capacity) {
          std::optional<FrameSlot*> more = frames_.PopUntil(deadline);
          if (!more) break;
          batch.push_back(*more);
        }
      }
      for (FrameSlot* s : batch) s->ordinal = next_ordinal_++;
    }
    const auto picked = parts_.clock->Now();
    images.clear();
    for (FrameSlot* s : batch) {
      images.push_back(&s->frame.image);
      s->queue_ms = std::max(0.0, MsBetween(s->frame.captured_at, picked));
    }
    const float threshold = conf_threshold_.load(std::memory_order_relaxed);
    if (threshold >= 0 && threshold != applied_threshold) {
      detector.SetConfThreshold(threshold);
      applied_threshold = threshold;
    }
    const auto t0 = SteadyTime::now();
    Status st = detector.DetectBatch(images, results);
    const double ms = MsBetween(t0, SteadyTime::now());
    for (size_t i = 0; i < batch.size(); ++i) {
      FrameSlot* s = batch[i];
      s->status = st;
      s->batch_size = static_cast<int>(batch.size());
      s->inference_ms = ms;
      if (st.ok()) {
        s->result.width = results[i].width;
        s->result.height = results[i].height;
        s->result.timings = results[i].timings;
        s->result.detections.assign(results[i].detections.begin(), results[i].detections.end());
      } else {
        s->result.detections.clear();
      }
    }
    {
      std::lock_guard lock(stats_mu_);
      ++stats_.batches;
      stats_.frames_inferred += static_cast<int64_t>(batch.size());
      stats_.max_batch = std::max<int64_t>(stats_.max_batch, static_cast<int64_t>(batch.size()));
      stats_.inference_ms_total += ms;
      if (!st.ok()) stats_.inference_failures += static_cast<int64_t>(batch.size());
    }
    if (observer != nullptr) {
      observer->OnBatch(static_cast<int>(batch.size()));
      for (FrameSlot* s : batch) {
        observer->OnStage("queue", s->queue_ms);
        observer->OnStage("inference", ms);
      }
    }
    for (FrameSlot* s : batch) {
      auto pushed = results_.Push(s);
      if (pushed.returned) Release(*pushed.returned);  // cannot happen: results_ blocks
    }
  }
  if (workers_left_.fetch_sub(1) == 1) results_.Close();
}

// Decide: restore capture order, track, record finished items.
void Pipeline::DecideThread() {
  const size_t n = static_cast<size_t>(pool_.size());
  std::vector<FrameSlot*> pending(n, nullptr);  // by ordinal % n
  uint64_t next = 0;
  auto last_session_check = parts_.clock->Now();
  for (;;) {
    std::optional<FrameSlot*> r =
        results_.PopUntil(SteadyTime::now() + options_.session_check_period);
    if (r) {
      FrameSlot* s = *r;
      pending[s->ordinal % n] = s;
      while (pending[next % n] != nullptr && pending[next % n]->ordinal == next) {
        FrameSlot* ready = pending[next % n];
        pending[next % n] = nullptr;
        ++next;
        if (parts_.observer != nullptr) {
          const auto t0 = SteadyTime::now();
          Decide(ready);
          parts_.observer->OnStage("decide", MsBetween(t0, SteadyTime::now()));
        } else {
          Decide(ready);
        }
        Release(ready);
      }
    } else if (results_.closed() && results_.size() == 0) {
      break;
    }
    const auto now = parts_.clock->Now();
    if (now - last_session_check >= options_.session_check_period) {
      last_session_check = now;
      Status s = parts_.recorder->CloseIdleSession();
      if (!s.ok())
        Logger("pipeline").Error("closing an idle session failed", {{"error", s.ToString()}});
    }
  }
  // Every frame captured has been tracked; decide what is still in view.
  RecordItems(tracker_.Flush(&decided_in_view_));
  {
    std::lock_guard lock(stats_mu_);
    stats_.tracker = tracker_.stats();
  }
  item_in_progress_.store(false);
  Status s = parts_.recorder->Flush();
  if (!s.ok()) Fail(s);
  {
    std::lock_guard lock(done_mu_);
    finished_.store(true);
  }
  done_cv_.notify_all();
}

void Pipeline::Decide(FrameSlot* slot) {
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.frames_tracked;
  }
  if (!slot->status.ok()) return;  // counted as an inference failure; not evidence of absence
  StageTimings timings = slot->result.timings;
  timings.read_ms = slot->queue_ms;
  ring_.Add(slot->frame.captured_at, slot->frame.image, timings);
  scratch_.clear();
  for (const Detection& d : slot->result.detections) {
    if (!parts_.labels->IsIgnored(d.class_id)) scratch_.push_back(d);
  }
  if (parts_.observer != nullptr) parts_.observer->OnFrameDetected(slot->frame, scratch_);
  std::vector<TrackedItem> finished = tracker_.Update(slot->frame.captured_at, scratch_);
  {
    std::lock_guard lock(stats_mu_);
    stats_.tracker = tracker_.stats();
  }
  item_in_progress_.store(tracker_.active_items() > 0);
  if (!finished.empty()) RecordItems(finished);
}

void Pipeline::RecordItems(const std::vector<TrackedItem>& items) {
  for (const TrackedItem& item : items) {
    ItemEvidence evidence;
    bool have_evidence = false;
    if (const FrameRing::Entry* e = ring_.Find(item.best_frame_time)) {
      auto jpeg = ring_.EncodeJpeg(item.best_frame_time);
      if (jpeg.ok()) {
        evidence.best_frame_jpeg = std::move(jpeg).value();
        have_evidence = true;
      }
      evidence.stage_ms = {{"queue", e->timings.read_ms},
                           {"preprocess", e->timings.preprocess_ms},
                           {"inference", e->timings.inference_ms},
                           {"postprocess", e->timings.postprocess_ms}};
    }
    Result<Decision> d = parts_.recorder->Record(item, std::move(evidence));
    {
      std::lock_guard lock(stats_mu_);
      if (!have_evidence) ++stats_.evidence_missing;
      if (!d.ok()) {
        ++stats_.record_failures;
      } else {
        ++stats_.items_decided;
        if (d->accepted) ++stats_.items_accepted;
      }
    }
    if (!d.ok()) {
      Logger("pipeline").Error("item not recorded (not taken)",
                               {{"track_id", item.track_id}, {"error", d.status().ToString()}});
      continue;
    }
    if (parts_.observer != nullptr) parts_.observer->OnDecision(*d);
  }
}

Result<SessionTicket> Pipeline::OpenUserSession(int64_t user_id, std::string session_id) {
  return parts_.recorder->OpenUserSession(user_id, std::move(session_id));
}

Status Pipeline::CloseSession() { return parts_.recorder->CloseSession(); }

PipelineStats Pipeline::stats() const {
  PipelineStats s;
  {
    std::lock_guard lock(stats_mu_);
    s = stats_;
  }
  s.frame_queue = frames_.stats();
  s.result_queue = results_.stats();
  s.frame_pool = pool_.stats();
  return s;
}

}  // namespace rvm
