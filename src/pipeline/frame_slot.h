// FrameSlot: one pooled buffer travelling through the pipeline. It carries a
// frame from the capture stage, through inference (which fills `result`), to
// the decide stage, and then goes back to the FramePool. All its buffers keep
// their capacity between uses, so a slot recycled with frames of the same
// size causes no heap allocation.
//
// A slot is owned by exactly one stage at a time (the queue hand-off is the
// synchronisation point); it has no lock of its own.
#pragma once

#include <cstdint>

#include "capture/frame.h"
#include "inference/detector.h"

namespace rvm {

struct FrameSlot {
  Frame frame;
  // Order in which the slot was handed to the inference workers: 0, 1, 2, ...
  // The decide stage restores this order when several workers run.
  uint64_t ordinal = 0;
  DetectionResult result;
  Status status;            // of the inference on this frame
  int batch_size = 0;       // size of the inference batch the frame was in
  double queue_ms = 0;      // capture -> picked up by a worker, ms
  double inference_ms = 0;  // whole batch call (preprocess + run + postprocess), ms
  const int index;          // position in its pool

  explicit FrameSlot(int i) : index(i) {}
};

}  // namespace rvm
