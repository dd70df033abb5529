// PipelineObserver: hooks the pipeline calls as work passes through it, for
// metrics, the dashboard and the snapshot endpoint. The default methods do
// nothing. Observers must be cheap and must not block: they run on the
// pipeline's own threads (noted per method), and an observer that keeps
// anything copies it.
#pragma once

#include <string_view>

#include "capture/frame.h"
#include "deposit/decision.h"
#include "vision/detection.h"

namespace rvm {

class PipelineObserver {
 public:
  virtual ~PipelineObserver() = default;

  // One stage's time for one frame, milliseconds. Stages: "capture" (read
  // from the source), "queue" (waiting for a worker), "inference" (the whole
  // detector call, per frame of its batch), "decide" (track and record).
  // Called on the thread that ran the stage.
  virtual void OnStage(std::string_view /*stage*/, double /*ms*/) {}
  // An inference call ran over `size` frames (worker thread).
  virtual void OnBatch(int /*size*/) {}
  // A frame and its detections reached the decide stage (decide thread).
  virtual void OnFrameDetected(const Frame& /*frame*/, const Detections& /*detections*/) {}
  // An item was decided and recorded (decide thread).
  virtual void OnDecision(const Decision& /*decision*/) {}
};

}  // namespace rvm
