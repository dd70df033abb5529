// PipelineObserver: hooks the pipeline calls as work passes through it, for
// metrics, the dashboard and the snapshot endpoint. The default methods do
// nothing. Observers must be cheap and must not block: they run on the
// pipeline's own threads (noted per method; several at once, so an observer
// synchronises its own state), and an observer that keeps anything copies
// it. Set one in PipelineParts::observer; it must outlive the pipeline.
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
  // from the source and the motion gate, every frame read; not the wait for
  // the next sample time), "queue" (from capture until a worker took the
  // frame, on the pipeline Clock), "inference" (the whole detector call, the
  // same figure for each frame of its batch), "decide" (track, keep evidence,
  // record finished items). Called on the thread that ran the stage; "queue"
  // on the worker that took the frame. `stage` is a string literal.
  virtual void OnStage(std::string_view /*stage*/, double /*ms*/) {}
  // An inference call ran over `size` frames (worker thread).
  virtual void OnBatch(int /*size*/) {}
  // A frame reached the decide stage with its detections, in capture order
  // (decide thread). `detections` are those the tracker sees: ignored labels
  // (the hand that inserts the item) are already removed, so a snapshot drawn
  // from them shows what the machine decides on. Frames whose inference
  // failed are not reported. Both references are valid during the call only.
  virtual void OnFrameDetected(const Frame& /*frame*/, const Detections& /*detections*/) {}
  // An item was decided and recorded by the sink (decide thread); items the
  // sink refused are not reported. The decision includes its best-frame JPEG.
  virtual void OnDecision(const Decision& /*decision*/) {}
};

}  // namespace rvm
