// Service: the running `rvm-edge run`, assembled from its parts.
//
// It owns, in order of construction: the detector model and label map, the
// run-time settings (LiveSettings: SIGHUP, the admin API and remote commands
// change them there, and ApplySettings hands them to the parts), the store
// of recent decisions and the snapshot (RecentActivity), the control surface
// the admin server and the heartbeat use (ControlSurface), the durable
// delivery path (the outbox every decision is committed to before the item
// is acknowledged; the DeliveryService that moves records to the platform
// when one is configured), the decision sink and recorder, and the pipeline
// with its frame source. The pipeline can be restarted (a remote command)
// while the rest keeps running: the controlling thread (Run's caller)
// rebuilds it when the RestartHandoff asks; other threads only ask.
//
// Thread-safety: Open, Start, WaitFor, Finish, DrainAndStopDelivery, Reload
// and AddObserver are called from the controlling thread; Stop, control()'s
// methods and the ServiceParts methods from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/control_surface.h"
#include "app/live_settings.h"
#include "app/observer_fanout.h"
#include "app/recent_activity.h"
#include "app/restart_handoff.h"
#include "app/tee_sink.h"
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
  // The snapshot period and how many recent decisions are kept.
  RecentActivityOptions activity;
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
// The files and folders `run` opens at start-up, checked on disk: the model
// (detector.model_path) and labels (detector.labels_path) must be files, a
// video (capture.path, source "video") a file and an image directory (source
// "images") a folder, the decisions file's folder (sink.decisions_path,
// unless "-") must exist or be one the outbox makes (outbox.dir or a folder
// above it), and the CA bundle (uplink.ca_path) be a file. One
// line per problem, naming the key and the path (and, for a relative path,
// the working directory it is taken from); empty when all are there.
// `config check` reports them (exit 2); `run` (Service::Open) reports them
// all before it opens anything, as a fatal start-up error (exit 3).
std::vector<std::string> ConfigPathProblems(const Config& c);

class Service final : public ServiceParts {
 public:
  // Builds everything but starts nothing; errors name what failed. The
  // second element of the result says whether the failure is a usage error
  // (configuration) rather than a fatal one (model, outbox, source).
  static Result<std::unique_ptr<Service>> Open(Config config, ServiceOptions options,
                                               bool& usage_error);
  ~Service() override;

  // Adds an observer every pipeline hook is forwarded to. Before Start.
  void AddObserver(PipelineObserver* observer) { observers_.Add(observer); }

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

  // The configuration the service started with; the run-time keys in
  // effect now are settings().current().
  const Config& config() const { return settings_->startup(); }
  LiveSettings& settings() { return *settings_; }
  // What the admin server and the heartbeat see of the service and do to it.
  ops::ServiceControl& control() { return *control_; }
  const DetectorModel& model() const { return *model_; }
  // One line on what the outbox and the platform saw.
  std::string DeliverySummary();
  outbox::Outbox& outbox() { return *outbox_; }
  // Files an image-directory source skipped as unreadable or undecodable
  // (each logged as a warning naming the file); 0 for other sources. Any thread.
  int64_t images_skipped() const override { return images_skipped_.load(); }

  // Null when no platform is configured.
  uplink::DeliveryService* delivery() { return delivery_.get(); }
  remote::HeartbeatService* heartbeat() { return heartbeat_.get(); }

  // Applies the run-time keys of `fresh` (SIGHUP) through settings(); the
  // keys that need a restart are reported, not applied.
  LiveSettings::ReloadReport Reload(const Config& fresh) { return settings_->Reload(fresh); }

  // ServiceParts
  PipelineStats pipeline_stats() override;
  bool pipeline_finished() override;
  int64_t pipeline_restarts() override { return restarts_.load(); }
  std::string DescribeSource() override;
  void Trigger() override;
  rvm::Status RestartPipeline() override;
  // The outbox's statistics, at most options.outbox_stats_max_age old.
  std::optional<outbox::OutboxStats> OutboxStats() override;
  std::optional<uplink::DeliveryStats> DeliveryStats() override;
  int64_t decisions_file_failures() override { return tee_->side_failures(); }
  void SetOutOfService(bool on, const std::string& reason) override;

 private:
  Service(ServiceOptions options);
  // `decided_in_view`: the items a pipeline before a restart decided that
  // were still in view, for the new pipeline to follow as decided.
  rvm::Status BuildPipeline(const std::vector<Box>& decided_in_view = {});
  // The one place run-time settings reach the parts (LiveSettings' apply).
  void ApplySettings(const RuntimeSettings& settings);
  void StopPipeline();

  const ServiceOptions options_;
  const Clock& clock_;

  std::shared_ptr<DetectorModel> model_;
  std::unique_ptr<LabelMap> labels_;
  std::unique_ptr<LiveSettings> settings_;
  std::unique_ptr<RecentActivity> activity_;
  std::unique_ptr<ControlSurface> control_;
  std::unique_ptr<outbox::Outbox> outbox_;
  std::unique_ptr<uplink::PlatformClient> client_;
  std::unique_ptr<uplink::DeliveryService> delivery_;
  std::unique_ptr<uplink::PlatformClient> heartbeat_client_;
  std::unique_ptr<remote::DatasetUploader> uploader_;
  std::unique_ptr<remote::HeartbeatService> heartbeat_;
  std::unique_ptr<DecisionSink> sink_;
  TeeSink* tee_ = nullptr;  // inside sink_: the outbox and the decisions file
  std::unique_ptr<UuidV7Generator> ids_;
  std::unique_ptr<DecisionRecorder> recorder_;
  ObserverFanout observers_;

  InterruptibleSleeper sleeper_;
  std::mutex pipeline_mu_;  // guards pipeline_ and source_ (replaced by a restart)
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<Pipeline> pipeline_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> restarts_{0};
  std::atomic<int64_t> images_skipped_{0};
  RestartHandoff restart_;

  std::mutex outbox_stats_mu_;  // guards the two fields below
  std::optional<outbox::OutboxStats> outbox_stats_;
  std::chrono::steady_clock::time_point outbox_stats_at_{};
};

}  // namespace rvm::app
