// BoundedQueue<T>: a fixed-capacity FIFO between two pipeline stages, with a
// stated policy for what happens when it is full.
//
//   kBlock       the producer waits for room (or for Close()). Used where no
//                element may be lost: results on their way to the tracker,
//                frames of an item being decided.
//   kDropOldest  the oldest element is evicted and handed back to the
//                producer (so a pooled buffer can be returned to its pool).
//                Used for live frames: a late frame is worth less than the
//                newest one.
//   kReject      the new element is handed back to the producer.
//
// The storage is a ring allocated once at construction, so pushing and
// popping never allocate. The policy can be changed while the queue is in
// use (the pipeline switches live frames to kBlock while an item is in
// progress). Close() wakes every waiter: later pushes are refused and pops
// drain what is left, then report the end.
//
// Counters (pushed, popped, dropped, rejected, high-water depth) are kept
// under the queue's lock and read with stats().
//
// Thread-safe: any number of producers and consumers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace rvm {

enum class FullPolicy { kBlock, kDropOldest, kReject };

inline const char* FullPolicyName(FullPolicy p) {
  switch (p) {
    case FullPolicy::kBlock:
      return "block";
    case FullPolicy::kDropOldest:
      return "drop_oldest";
    case FullPolicy::kReject:
      return "reject";
  }
  return "?";
}

struct QueueStats {
  size_t capacity = 0;
  size_t depth = 0;      // elements waiting now
  size_t max_depth = 0;  // high-water mark
  uint64_t pushed = 0;   // elements accepted
  uint64_t popped = 0;
  uint64_t dropped = 0;   // evicted by kDropOldest
  uint64_t rejected = 0;  // refused by kReject or because the queue was closed
  uint64_t blocked = 0;   // pushes that had to wait for room
};

template <typename T>
class BoundedQueue {
 public:
  // What a push did. `returned` holds the element the caller gets back: the
  // evicted oldest element (kDropped) or its own element (kRejected, kClosed).
  enum class Outcome { kPushed, kDropped, kRejected, kClosed };
  struct PushResult {
    Outcome outcome = Outcome::kPushed;
    std::optional<T> returned;
  };

  // `capacity` must be >= 1.
  BoundedQueue(size_t capacity, FullPolicy policy)
      : ring_(capacity < 1 ? 1 : capacity), policy_(policy) {}

  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  PushResult Push(T value) {
    std::unique_lock lock(mu_);
    if (closed_) {
      ++rejected_;
      return {Outcome::kClosed, std::move(value)};
    }
    PushResult result;
    if (size_ == ring_.size()) {
      switch (policy_) {
        case FullPolicy::kReject:
          ++rejected_;
          return {Outcome::kRejected, std::move(value)};
        case FullPolicy::kDropOldest:
          result.outcome = Outcome::kDropped;
          result.returned = std::move(ring_[head_]);
          head_ = (head_ + 1) % ring_.size();
          --size_;
          ++dropped_;
          break;
        case FullPolicy::kBlock:
          ++blocked_;
          not_full_.wait(lock, [&] {
            return closed_ || size_ < ring_.size() || policy_ != FullPolicy::kBlock;
          });
          if (closed_) {
            ++rejected_;
            return {Outcome::kClosed, std::move(value)};
          }
          if (size_ == ring_.size()) {  // the policy changed while waiting
            lock.unlock();
            return Push(std::move(value));
          }
          break;
      }
    }
    ring_[(head_ + size_) % ring_.size()] = std::move(value);
    ++size_;
    ++pushed_;
    if (size_ > max_depth_) max_depth_ = size_;
    lock.unlock();
    not_empty_.notify_one();
    return result;
  }

  // Waits for an element; nullopt once the queue is closed and empty.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || size_ > 0; });
    return TakeLocked(lock);
  }

  // Waits until `deadline` at most; nullopt on timeout or when closed and empty.
  std::optional<T> PopUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mu_);
    not_empty_.wait_until(lock, deadline, [&] { return closed_ || size_ > 0; });
    return TakeLocked(lock);
  }

  std::optional<T> TryPop() {
    std::unique_lock lock(mu_);
    return TakeLocked(lock);
  }

  void SetPolicy(FullPolicy policy) {
    {
      std::lock_guard lock(mu_);
      policy_ = policy;
    }
    not_full_.notify_all();
  }

  FullPolicy policy() const {
    std::lock_guard lock(mu_);
    return policy_;
  }

  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return size_;
  }

  QueueStats stats() const {
    std::lock_guard lock(mu_);
    return QueueStats{ring_.size(), size_,    max_depth_, pushed_,
                      popped_,      dropped_, rejected_,  blocked_};
  }

 private:
  std::optional<T> TakeLocked(std::unique_lock<std::mutex>& lock) {
    if (size_ == 0) return std::nullopt;
    std::optional<T> out(std::move(ring_[head_]));
    head_ = (head_ + 1) % ring_.size();
    --size_;
    ++popped_;
    lock.unlock();
    not_full_.notify_one();
    return out;
  }

  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::vector<T> ring_;  // guarded by mu_
  size_t head_ = 0;      // guarded by mu_
  size_t size_ = 0;      // guarded by mu_
  FullPolicy policy_;    // guarded by mu_
  bool closed_ = false;  // guarded by mu_
  size_t max_depth_ = 0;
  uint64_t pushed_ = 0, popped_ = 0, dropped_ = 0, rejected_ = 0, blocked_ = 0;
};

}  // namespace rvm
