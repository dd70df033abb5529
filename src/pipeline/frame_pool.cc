#include "pipeline/frame_pool.h"

#include <cstdio>
#include <cstdlib>

namespace rvm {

FramePool::FramePool(int size) {
  if (size < 1) size = 1;
  slots_.reserve(size);
  free_.reserve(size);
  for (int i = 0; i < size; ++i) {
    slots_.push_back(std::make_unique<FrameSlot>(i));
    free_.push_back(size - 1 - i);  // hand out slot 0 first
  }
  in_use_.assign(size, false);
  stats_.size = size;
}

FrameSlot* FramePool::TakeLocked() {
  const int i = free_.back();
  free_.pop_back();
  in_use_[i] = true;
  ++stats_.in_use;
  ++stats_.acquired;
  if (stats_.in_use > stats_.max_in_use) stats_.max_in_use = stats_.in_use;
  return slots_[i].get();
}

FrameSlot* FramePool::Acquire(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  if (free_.empty()) {
    ++stats_.waits;
    if (!freed_.wait_until(lock, deadline, [&] { return !free_.empty(); })) {
      ++stats_.timeouts;
      return nullptr;
    }
  }
  return TakeLocked();
}

FrameSlot* FramePool::TryAcquire() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return nullptr;
  return TakeLocked();
}

void FramePool::Release(FrameSlot* slot) {
  {
    std::lock_guard lock(mu_);
    if (slot == nullptr || slot->index < 0 || slot->index >= size() ||
        slots_[slot->index].get() != slot || !in_use_[slot->index]) {
      std::fprintf(stderr, "FramePool::Release: slot not taken from this pool\n");
      std::abort();
    }
    in_use_[slot->index] = false;
    free_.push_back(slot->index);
    --stats_.in_use;
  }
  freed_.notify_one();
}

PoolStats FramePool::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace rvm
