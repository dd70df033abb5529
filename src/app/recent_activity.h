// RecentActivity: what the dashboard and the snapshot endpoint show of the
// running pipeline: the latest detected frame with its detections (copied at
// most every `snapshot_period`, since copying a frame per detection would
// cost more than the endpoint is worth) and the last decisions, each with a
// small thumbnail of its best frame.
//
// It is a PipelineObserver (fed on the pipeline's stage threads) and answers
// the ServiceControl reads (any thread); one mutex guards both sides.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "base/clock.h"
#include "ops/service_control.h"
#include "pipeline/pipeline_observer.h"

namespace rvm::app {

struct RecentActivityOptions {
  // The latest frame is copied for the snapshot at most this often.
  std::chrono::milliseconds snapshot_period{500};
  // Recent decisions kept for the dashboard.
  int recent_decisions = 24;
  // Widest thumbnail of a decision's best frame, pixels.
  int thumbnail_width = 160;
};

class RecentActivity final : public PipelineObserver {
 public:
  // `labels` name the detections drawn on the snapshot; `clock` times the
  // snapshot period. Both must outlive it.
  RecentActivity(RecentActivityOptions options, const std::vector<std::string>& labels,
                 const Clock& clock);

  // Newest first, at most `max`.
  std::vector<ops::RecentDecision> RecentDecisions(int max) const;
  // The latest kept frame with its boxes drawn, as JPEG; empty before the first.
  std::string SnapshotJpeg() const;

  // PipelineObserver
  void OnFrameDetected(const Frame& frame, const Detections& detections) override;
  void OnDecision(const Decision& decision) override;

 private:
  const RecentActivityOptions options_;
  const std::vector<std::string>& labels_;
  const Clock& clock_;

  mutable std::mutex mu_;
  cv::Mat snapshot_;                                      // guarded by mu_
  Detections snapshot_detections_;                        // guarded by mu_
  std::chrono::steady_clock::time_point snapshot_at_{};  // guarded by mu_
  std::deque<ops::RecentDecision> recent_;                // guarded by mu_; oldest first
};

}  // namespace rvm::app
