// Pipeline: the service that runs all day inside the machine. It watches the
// chute, recognises each inserted item and emits exactly one accept/reject
// decision per physical item.
//
// Stages, each on its own thread(s), connected by bounded queues:
//
//   capture ──frames──▶ inference workers (N) ──results──▶ decide
//   (CaptureLoop:        (FrameDetector: preprocess,       (reorder, LabelMap,
//    scheduler, motion    inference, postprocess;           ItemTracker, FrameRing,
//    gate)                batched when the model allows)    DecisionRecorder)
//
//  * Frames live in a FramePool of pipeline.frame_pool_size slots. Capture
//    takes a slot, reads into it, and either returns it at once (idle mode:
//    the motion gate saw nothing, the detector does not run) or queues it.
//    When no slot is free capture waits: backpressure, never growth.
//  * The frame queue (pipeline.frame_queue_capacity) blocks when full while
//    a frame may belong to an item: the motion gate sees something move, the
//    tracker follows an item, or a recording is replayed frame by frame. So
//    every frame of an item reaches the tracker, from the first one that
//    moved (the tracker alone would learn of the item only after its first
//    frame was detected, too late for the frames behind it). Other live
//    frames (active mode on a quiet chute) drop the oldest when full: the
//    newest is worth more.
//  * Inference workers (pipeline.inference_workers) each own a detector.
//    When the detector takes batches (model batch dimension dynamic or > 1)
//    a worker collects up to pipeline.batch_max_size frames, waiting at most
//    pipeline.batch_timeout_ms after the first; otherwise frames run one by
//    one.
//  * The result queue blocks when full (results are never dropped). The
//    decide stage restores capture order (workers may finish out of order),
//    feeds the tracker, keeps recent frames for evidence, records each
//    finished item through the DecisionRecorder, and closes idle sessions.
//
// Lifecycle: Start() opens the source and starts the threads. A finite source
// (video file, image directory) ends the run at its end; Stop() ends it on
// request (signal, admin API). Either way capture stops first, the frames
// already captured are detected and tracked, the tracker is flushed (items
// seen often enough are decided, reason "flushed"), and the recorder is
// flushed. Wait() joins and returns the first fatal error, if any, and closes
// the source.
//
// Restart: a Pipeline runs once. To restart, Stop() and Wait() it, then
// construct a new Pipeline over the same parts and Start() it: the source is
// reopened (a video file or image directory replays from its start, a
// watched directory goes on with the files it has not delivered, a camera
// delivers live frames again), new detectors are made, and the counters
// start from zero. Over a source that goes on (FrameSource::
// StartsOverWhenReopened false), items the old pipeline decided that were
// still in view when it ended are handed to the new one (decided_in_view,
// FollowDecided), which follows them as decided: an item lying in the chute
// across a restart is decided once. Over a replay, which starts over, nothing
// is handed on: its first items are decided again, as in its first play.
// The recorder is not reset: the open session stays open (the person at the
// machine keeps their session across a restart; the idle timeout still
// closes it), and so does an out-of-service state. Settings given with
// SetRuntimeSettings() belong to the old pipeline: give them to the new one
// too (before Start() is fine). Sleeps that the service interrupted to stop
// promptly must be re-armed first (InterruptibleSleeper::Reset).
//
// Observer (PipelineParts::observer, optional): called on the stage threads
// as frames pass, see pipeline_observer.h. With none, the pipeline does not
// even read the clock for it.
//
// Thread-safety: Start, Stop, Wait are called from one controlling thread;
// Stop, Trigger, OpenUserSession, CloseSession, SetRuntimeSettings and stats()
// are safe from any thread while the pipeline runs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "capture/capture_loop.h"
#include "capture/capture_scheduler.h"
#include "capture/frame_source.h"
#include "capture/motion_gate.h"
#include "capture/sleep.h"
#include "config/config.h"
#include "config/runtime_settings.h"
#include "deposit/decision_recorder.h"
#include "deposit/item_tracker.h"
#include "deposit/label_map.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/frame_detector.h"
#include "pipeline/frame_pool.h"
#include "pipeline/frame_ring.h"
#include "pipeline/pipeline_observer.h"

namespace rvm {

struct PipelineOptions {
  PipelineConfig pipeline;
  TrackerConfig tracker;
  CaptureScheduleOptions schedule;
  MotionGateOptions motion;
  // Send every sampled frame to the detector, bypassing the motion gate's
  // idle mode (replaying a recording, where every frame matters).
  bool detect_every_frame = false;
  // Wait after a temporary read failure before reading again.
  std::chrono::milliseconds retry_delay{20};
  // How often the decide stage checks for an idle session to close.
  std::chrono::milliseconds session_check_period{1000};
};

// Checks the fields the pipeline uses; messages name the key.
Status ValidatePipelineOptions(const PipelineOptions& options);

// Everything the pipeline uses but does not own. All must outlive it.
struct PipelineParts {
  FrameSource* source = nullptr;
  FrameDetectorFactory detectors;
  const LabelMap* labels = nullptr;
  DecisionRecorder* recorder = nullptr;
  const Clock* clock = nullptr;
  SleepFn sleep = RealSleep();
  // Optional: told about stages, batches, detected frames and decisions.
  PipelineObserver* observer = nullptr;
};

// Counters for metrics and the status page; a consistent-enough snapshot
// (each group is read under its own lock).
struct PipelineStats {
  // capture
  int64_t frames_sampled = 0;      // frames read from the source
  int64_t frames_to_detector = 0;  // frames sent to inference (active mode)
  int64_t frames_idle = 0;         // frames only the motion gate saw
  int64_t read_failures = 0;       // temporary read failures
  std::string mode = "idle";       // capture mode now
  // When the source last delivered a frame: the pipeline Clock's Now(), in
  // ms since that clock's epoch; -1 before the first frame of this run.
  int64_t last_frame_ms = -1;
  // queues and pool
  QueueStats frame_queue;
  QueueStats result_queue;
  PoolStats frame_pool;
  // inference
  int workers = 0;
  int batch_capacity = 0;  // per worker
  int64_t batches = 0;
  int64_t frames_inferred = 0;
  int64_t max_batch = 0;
  int64_t inference_failures = 0;
  double inference_ms_total = 0;
  // decide
  int64_t frames_tracked = 0;
  int64_t items_decided = 0;
  int64_t items_accepted = 0;
  int64_t record_failures = 0;
  int64_t evidence_missing = 0;
  TrackerStats tracker;

  double mean_batch() const {
    return batches > 0 ? static_cast<double>(frames_inferred) / batches : 0;
  }
  // How long ago the source last delivered a frame, ms, given the pipeline
  // Clock's Now(); -1 when it has delivered none in this run.
  int64_t last_frame_age_ms(std::chrono::steady_clock::time_point now) const;
};

class Pipeline {
 public:
  Pipeline(PipelineOptions options, PipelineParts parts);
  ~Pipeline();  // stops and joins if still running

  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Opens the source, makes the detectors and starts the threads.
  Status Start();
  // Asks the pipeline to finish: capture stops, frames in flight are
  // processed, the tracker and recorder are flushed. Returns at once.
  void Stop();
  // Blocks until every thread has finished; returns the first fatal error
  // (source, detector or sink), OK otherwise.
  Status Wait();
  // Waits up to `timeout`; true when the pipeline has finished.
  bool WaitFor(std::chrono::milliseconds timeout);

  // Before Start(): items the pipeline before a restart decided that may
  // still be in view (its decided_in_view()); they are followed as decided
  // (ItemTracker::FollowDecided) and never decided again.
  void FollowDecided(const std::vector<Box>& boxes);
  // After Wait(): the last boxes of the items decided (during the run or by
  // its final flush) that were still followed when the run ended.
  const std::vector<Box>& decided_in_view() const { return decided_in_view_; }
  // Whether the threads have finished (end of stream, Stop, or a fatal error).
  bool finished() const { return finished_.load(); }

  // An external request to look now (door sensor, admin API).
  void Trigger() { scheduler_.Trigger(); }
  // Opens a user session (admin API / platform claim); see DecisionRecorder.
  Result<SessionTicket> OpenUserSession(int64_t user_id, std::string session_id = "");
  Status CloseSession();

  // Takes the run-time settings the pipeline uses (validated by
  // ValidateRuntimeSettings): the confidence threshold, for every worker from
  // its next inference call on (until then, detector.conf_threshold as the
  // detectors were made); the capture rates, quiet period and motion
  // threshold, from the capture thread's next sample (until then, the
  // PipelineOptions'). May be called before Start().
  void SetRuntimeSettings(const RuntimeSettings& settings);

  PipelineStats stats() const;

 private:
  void CaptureThread();
  void WorkerThread(int index);
  void DecideThread();
  void Decide(FrameSlot* slot);
  void RecordItems(const std::vector<TrackedItem>& items);
  void Fail(const Status& s);
  void WaitForSample(std::chrono::nanoseconds d);
  void Release(FrameSlot* slot) { pool_.Release(slot); }

  const PipelineOptions options_;
  PipelineParts parts_;

  FramePool pool_;
  BoundedQueue<FrameSlot*> frames_;
  BoundedQueue<FrameSlot*> results_;
  CaptureScheduler scheduler_;
  MotionGate gate_;
  CaptureLoop loop_;
  ItemTracker tracker_;  // decide thread only
  // Written by the decide thread as it ends; read after Wait() joins it.
  std::vector<Box> decided_in_view_;
  FrameRing ring_;       // decide thread only
  Detections scratch_;   // decide thread only: a frame's detections minus ignored labels
  // Capture thread only, with an observer: time spent in the capture loop's
  // wait for the next sample, which is not the capture stage's work.
  std::chrono::steady_clock::duration sample_wait_{};

  std::vector<std::unique_ptr<FrameDetector>> detectors_;
  std::thread capture_thread_;
  std::vector<std::thread> worker_threads_;
  std::thread decide_thread_;
  bool started_ = false;
  bool joined_ = false;

  std::atomic<bool> stop_{false};
  std::atomic<bool> item_in_progress_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> workers_left_{0};
  // SetRuntimeSettings's confidence threshold; negative: not set (the detectors' own).
  std::atomic<float> conf_threshold_{-1.0f};
  // SetRuntimeSettings's capture settings, for the capture thread to take.
  std::mutex capture_settings_mu_;
  std::optional<RuntimeSettings> capture_settings_;  // guarded by capture_settings_mu_
  std::atomic<bool> capture_settings_changed_{false};
  std::mutex done_mu_;
  std::condition_variable done_cv_;

  std::mutex dispatch_mu_;     // serialises taking frames (and their ordinals) from frames_
  uint64_t next_ordinal_ = 0;  // guarded by dispatch_mu_

  mutable std::mutex stats_mu_;
  PipelineStats stats_;  // guarded by stats_mu_ (queue/pool fields filled in stats())
  Status error_;         // guarded by stats_mu_
};

}  // namespace rvm
