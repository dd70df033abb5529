// Service: the running `rvm-edge run`, assembled from its parts, and the
// ServiceControl the admin server and the platform's remote commands use.
//
// It owns, in order of construction: the detector model and label map, the
// durable delivery path (the outbox every decision is committed to before
// the item is acknowledged; the DeliveryService that moves records to the
// platform when one is configured), the decision sink and recorder, and the
// pipeline with its frame source. The pipeline can be restarted (a remote
// command) while the rest keeps running: the controlling thread (Run's
// caller) rebuilds it; other threads only ask.
//
// As the pipeline's PipelineObserver it keeps the latest detected frame (for
// the snapshot endpoint, copied at most every `snapshot_period`) and the
// recent decisions (for the dashboard), and forwards every hook to the
// observers added with AddObserver (metrics).
//
// Thread-safety: Open, Start, WaitFor, Finish, DrainAndStopDelivery, Reload
// and AddObserver are called from the controlling thread; Stop and every
// ServiceControl method from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "capture/sleep.h"
#include "capture/source_factory.h"
#include "config/config.h"
#include "deposit/decision_recorder.h"
#include "deposit/decision_sink.h"
#include "deposit/label_map.h"
#include "deposit/uuid_v7.h"
#include "inference/detector.h"
#include "ops/service_control.h"
#include "outbox/outbox.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_observer.h"
#include "remote/dataset_uploader.h"
#include "remote/heartbeat_service.h"
#include "uplink/delivery_service.h"
#include "uplink/platform_client.h"

namespace rvm::app {

struct ServiceOptions {
  // Every sampled frame goes to the detector (replaying a recording).
  bool replay = false;
  // The latest frame is copied for the snapshot at most this often.
  std::chrono::milliseconds snapshot_period{500};
  // Recent decisions kept for the dashboard.
  int recent_decisions = 24;
  // The frame source counts as stalled (not ready) after this long without a frame.
  std::chrono::milliseconds frame_stall{5000};
  // Outbox statistics older than this are read again (reading them scans
  // the backlog).
  std::chrono::milliseconds outbox_stats_max_age{1000};
  // Sees every request to the platform (time in ms, usable answer); metrics.
  std::function<void(double ms, bool ok)> on_uplink_request;
  // Lines of recent logs; empty = none kept.
  std::function<std::vector<std::string>(int)> recent_logs;
};

// The outbox options `run` opens the outbox with, from [outbox].
outbox::OutboxOptions OutboxOptionsFromConfig(const OutboxConfig& c);
// InvalidArgument naming outbox.quota_bytes when it is below the outbox's
// minimum (outbox::MinimumQuotaBytes); `config check` and `run` both ask.
rvm::Status CheckOutboxConfig(const OutboxConfig& c);

class Service final : public ops::ServiceControl, public PipelineObserver {
 public:
  // Builds everything but starts nothing; errors name what failed. The
  // second element of the result says whether the failure is a usage error
  // (configuration) rather than a fatal one (model, outbox, source).
  static Result<std::unique_ptr<Service>> Open(Config config, ServiceOptions options,
                                               bool& usage_error);
  ~Service() override;

  // Adds an observer every pipeline hook is forwarded to. Before Start.
  void AddObserver(PipelineObserver* observer) { observers_.push_back(observer); }

  // Starts the delivery service and the pipeline.
  rvm::Status Start();
  // Controlling thread: waits up to `timeout` for the pipeline to finish and
  // performs a requested restart. True when the pipeline has finished for
  // good (end of a finite source, Stop, or a fatal error).
  bool WaitFor(std::chrono::milliseconds timeout);
  // Asks the pipeline to finish (signal, --max-seconds). Any thread.
  void Stop();
  // Controlling thread, after WaitFor returned true: the pipeline's result,
  // the open session closed and the sink flushed.
  rvm::Status Finish();
  // Sends session batches at once and waits up to `seconds` for pending
  // records to be delivered, then stops delivery; also after a Stop (a
  // stopping service drains what it has). Controlling thread, after Finish.
  void DrainAndStopDelivery(double seconds);

  const Config& config() const { return config_; }
  const DetectorModel& model() const { return *model_; }
  PipelineStats pipeline_stats();
  // One line on what the outbox and the platform saw.
  std::string DeliverySummary();
  std::string DescribeSource();
  // The outbox's statistics, at most options.outbox_stats_max_age old;
  // nullopt when they cannot be read.
  std::optional<outbox::OutboxStats> OutboxStats();
  outbox::Outbox& outbox() { return *outbox_; }
  // Null when no platform is configured.
  uplink::DeliveryService* delivery() { return delivery_.get(); }
  remote::HeartbeatService* heartbeat() { return heartbeat_.get(); }

  // What a configuration reload did, by dotted key.
  struct ReloadReport {
    std::vector<std::string> applied;         // in effect now (or after the pipeline restart)
    std::vector<std::string> restart_needed;  // changed, but only a service restart applies them
    bool pipeline_restart = false;            // capture keys changed: the pipeline restarts
  };
  // Applies the keys of `fresh` that can change while running (SIGHUP);
  // the rest are reported. Controlling thread; a pipeline restart it needs
  // happens in the next WaitFor.
  ReloadReport Reload(const Config& fresh);

  // ServiceControl
  ops::ServiceStatus Status() override;
  std::vector<ops::ReadinessCheck> Readiness() override;
  std::vector<ops::RecentDecision> RecentDecisions(int max) override;
  std::string SnapshotJpeg() override;
  void Trigger() override;
  rvm::Status SetMaintenance(bool on, const std::string& reason) override;
  rvm::Status SetConfThreshold(double threshold) override;
  rvm::Status RestartPipeline() override;
  std::vector<std::string> RecentLogs(int max_lines) override;

  // PipelineObserver
  void OnStage(std::string_view stage, double ms) override;
  void OnBatch(int size) override;
  void OnFrameDetected(const Frame& frame, const Detections& detections) override;
  void OnDecision(const Decision& decision) override;

 private:
  Service(Config config, ServiceOptions options);
  rvm::Status BuildPipeline();
  void UpdateAccepting();
  // Asks the controlling thread to rebuild the pipeline; returns the
  // generation to wait for.
  int64_t RequestRestart();

  Config config_;
  const ServiceOptions options_;
  const Clock& clock_;
  const std::chrono::steady_clock::time_point started_at_;

  std::shared_ptr<DetectorModel> model_;
  std::unique_ptr<LabelMap> labels_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<uplink::PlatformClient> client_;
  std::unique_ptr<uplink::DeliveryService> delivery_;
  std::unique_ptr<uplink::PlatformClient> heartbeat_client_;
  std::unique_ptr<remote::DatasetUploader> uploader_;
  std::unique_ptr<remote::HeartbeatService> heartbeat_;
  std::unique_ptr<DecisionSink> sink_;
  std::unique_ptr<UuidV7Generator> ids_;
  std::unique_ptr<DecisionRecorder> recorder_;
  std::vector<PipelineObserver*> observers_;

  InterruptibleSleeper sleeper_;
  std::mutex pipeline_mu_;  // guards pipeline_ and source_ (replaced by a restart)
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> restarts_{0};

  // Restart hand-off between the asking thread and the controlling thread.
  std::mutex restart_mu_;
  std::condition_variable restart_cv_;
  bool restart_requested_ = false;                 // guarded by restart_mu_
  int64_t restart_generation_ = 0;                 // guarded by restart_mu_: restarts done
  rvm::Status restart_status_;                     // guarded by restart_mu_
  std::optional<CaptureConfig> reloaded_capture_;  // guarded by restart_mu_

  std::atomic<double> conf_threshold_;
  std::mutex state_mu_;  // guards the fields below
  bool maintenance_ = false;
  std::string maintenance_reason_;
  cv::Mat snapshot_;
  Detections snapshot_detections_;
  std::chrono::steady_clock::time_point snapshot_at_{};
  std::deque<ops::RecentDecision> recent_;

  std::mutex outbox_stats_mu_;  // guards the two fields below
  std::optional<outbox::OutboxStats> outbox_stats_;
  std::chrono::steady_clock::time_point outbox_stats_at_{};
};

}  // namespace rvm::app
