// FramePool: a fixed set of FrameSlots, sized by configuration
// (pipeline.frame_pool_size), recycled for the life of the pipeline.
//
// Acquire() hands out a free slot; when none is free the caller waits (up to
// a deadline) — that is the pipeline's backpressure: a capture stage that
// outruns inference stops reading instead of growing memory. The pool never
// grows. Release() returns a slot; releasing a slot twice or one from
// another pool is a programming error and aborts.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "pipeline/frame_slot.h"

namespace rvm {

struct PoolStats {
  int size = 0;
  int in_use = 0;
  int max_in_use = 0;
  uint64_t acquired = 0;
  uint64_t waits = 0;     // acquisitions that found the pool empty and waited
  uint64_t timeouts = 0;  // acquisitions that gave up at their deadline
};

class FramePool {
 public:
  // `size` must be >= 1.
  explicit FramePool(int size);

  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;

  // A free slot, or nullptr when none came free before `deadline`.
  FrameSlot* Acquire(std::chrono::steady_clock::time_point deadline);
  // A free slot, or nullptr at once when none is free.
  FrameSlot* TryAcquire();
  void Release(FrameSlot* slot);

  int size() const { return static_cast<int>(slots_.size()); }
  PoolStats stats() const;

 private:
  FrameSlot* TakeLocked();

  std::vector<std::unique_ptr<FrameSlot>> slots_;
  mutable std::mutex mu_;
  std::condition_variable freed_;
  std::vector<int> free_;     // guarded by mu_; indexes into slots_
  std::vector<bool> in_use_;  // guarded by mu_
  PoolStats stats_;           // guarded by mu_
};

}  // namespace rvm
