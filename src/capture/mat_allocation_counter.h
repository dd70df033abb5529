// MatAllocationCounter (tests only): counts cv::Mat buffer allocations made
// while it is alive, to pin that a steady-state capture path reuses its
// buffers. It installs itself as OpenCV's default matrix allocator and
// delegates the real work to OpenCV's standard allocator; the destructor puts
// the previous allocator back. Counts allocations from every thread; use it
// only where no other thread allocates matrices.
#pragma once

#include <atomic>
#include <cstdint>

#include <opencv2/core/mat.hpp>

namespace rvm {

class MatAllocationCounter final : public cv::MatAllocator {
 public:
  MatAllocationCounter() : previous_(cv::Mat::getDefaultAllocator()) {
    cv::Mat::setDefaultAllocator(this);
  }
  ~MatAllocationCounter() override { cv::Mat::setDefaultAllocator(previous_); }
  MatAllocationCounter(const MatAllocationCounter&) = delete;
  MatAllocationCounter& operator=(const MatAllocationCounter&) = delete;

  // Allocations since construction or the last call.
  int64_t TakeCount() { return count_.exchange(0); }

  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step,
                         cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    ++count_;
    return cv::Mat::getStdAllocator()->allocate(dims, sizes, type, data, step, flags, usage);
  }
  bool allocate(cv::UMatData* data, cv::AccessFlag flags, cv::UMatUsageFlags usage) const override {
    return cv::Mat::getStdAllocator()->allocate(data, flags, usage);
  }
  void deallocate(cv::UMatData* data) const override {
    cv::Mat::getStdAllocator()->deallocate(data);
  }

 private:
  cv::MatAllocator* previous_;
  mutable std::atomic<int64_t> count_{0};
};

}  // namespace rvm
