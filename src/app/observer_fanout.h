// ObserverFanout: one PipelineObserver that passes every hook on to several
// (the service's recent-activity store, the admin metrics). Observers are
// added before the pipeline starts; the hooks then run on the pipeline's
// stage threads, each observer being thread-safe itself.
#pragma once

#include <string_view>
#include <vector>

#include "pipeline/pipeline_observer.h"

namespace rvm::app {

class ObserverFanout final : public PipelineObserver {
 public:
  // Before the pipeline starts.
  void Add(PipelineObserver* observer) { observers_.push_back(observer); }

  void OnStage(std::string_view stage, double ms) override {
    for (PipelineObserver* o : observers_) o->OnStage(stage, ms);
  }
  void OnBatch(int size) override {
    for (PipelineObserver* o : observers_) o->OnBatch(size);
  }
  void OnFrameDetected(const Frame& frame, const Detections& detections) override {
    for (PipelineObserver* o : observers_) o->OnFrameDetected(frame, detections);
  }
  void OnDecision(const Decision& decision) override {
    for (PipelineObserver* o : observers_) o->OnDecision(decision);
  }

 private:
  std::vector<PipelineObserver*> observers_;
};

}  // namespace rvm::app
