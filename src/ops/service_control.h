// ServiceControl: what the admin server, the dashboard and the platform's
// remote commands may see of the running service and do to it. The service
// (`rvm-edge run`, src/app) implements it over its pipeline, outbox and
// uplink; tests use fakes.
//
// Every method is safe to call from any thread while the service runs
// (admin requests and the heartbeat thread call them concurrently).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "deposit/decision.h"
#include "outbox/outbox.h"
#include "pipeline/pipeline.h"
#include "uplink/delivery_service.h"

namespace rvm::ops {

// One readiness condition (`GET /readyz` lists them all).
struct ReadinessCheck {
  std::string name;  // "model", "frame_source", "outbox", "accepting"
  bool ok = false;
  std::string detail;  // why it fails, or a short fact when it passes
};

// A decision the dashboard shows, with a small image of its best frame.
struct RecentDecision {
  Decision decision;           // best_frame_jpeg is left empty
  std::string thumbnail_jpeg;  // JPEG, at most 160 px wide; empty when no frame was kept
};

// Everything `GET /api/status`, `/metrics` and the heartbeat report, read at
// one moment.
struct ServiceStatus {
  std::string machine_id;
  std::string machine_name;
  std::string version;
  double uptime_s = 0;
  bool maintenance = false;
  std::string maintenance_reason;  // who or what put it there
  // Items are accepted: not in maintenance and the outbox can record them.
  bool accepting = true;
  double conf_threshold = 0;
  std::string model;   // model file
  std::string source;  // frame source, described
  int64_t last_frame_age_ms = -1;  // since the source last delivered a frame; -1 = never
  int64_t pipeline_restarts = 0;
  PipelineStats pipeline;
  // The pipeline runs: false once a replayed recording has ended, or while
  // there is none (between the two halves of a restart). Read by readiness
  // (admin/readiness.h), not reported on its own.
  bool pipeline_running = true;
  std::optional<outbox::OutboxStats> outbox;       // absent when the outbox is not used
  // The outbox is used but its statistics could not be read (`outbox` is
  // then absent). Read by readiness, not reported on its own.
  bool outbox_unreadable = false;
  std::optional<uplink::DeliveryStats> delivery;  // absent when offline (no platform)
  // Writes and flushes of the decisions file (JSON lines, a side log) that
  // failed. The outbox is the record; such a failure loses nothing.
  int64_t decisions_file_failures = 0;
  // Image files an image-folder source skipped as unreadable or undecodable
  // (each logged with its name); 0 for other sources.
  int64_t images_skipped = 0;
};

class ServiceControl {
 public:
  virtual ~ServiceControl() = default;

  virtual ServiceStatus Status() = 0;
  virtual std::vector<ReadinessCheck> Readiness() = 0;
  // Newest first, at most `max`.
  virtual std::vector<RecentDecision> RecentDecisions(int max) = 0;
  // The latest frame the detector saw, with its boxes drawn, as JPEG; empty
  // when no frame has been detected yet.
  virtual std::string SnapshotJpeg() = 0;

  // Starts an active capture window (as a door sensor would).
  virtual void Trigger() = 0;
  // Enters (on = true) or leaves maintenance. While in maintenance the
  // machine stops accepting items and says so on status and readiness.
  virtual rvm::Status SetMaintenance(bool on, const std::string& reason) = 0;
  // Changes detector.conf_threshold at run time; refused outside [0, 1].
  virtual rvm::Status SetConfThreshold(double threshold) = 0;
  // Stops and starts the pipeline with the current configuration (the
  // frame source is reopened; the outbox and uplink keep running).
  virtual rvm::Status RestartPipeline() = 0;
  // The last `max_lines` log lines (already redacted).
  virtual std::vector<std::string> RecentLogs(int max_lines) = 0;
};

}  // namespace rvm::ops
