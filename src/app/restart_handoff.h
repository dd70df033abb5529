// RestartHandoff: how any thread (an admin request, a remote command) asks
// the controlling thread to rebuild the pipeline, and waits for the outcome.
// Only the controlling thread may join and replace the pipeline; the asker
// stops it (so the controlling thread's wait ends) and waits for Complete.
//
// Requests that arrive while one is pending join it: they all wait for the
// same rebuild. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "base/status.h"

namespace rvm::app {

class RestartHandoff {
 public:
  // `stop_pipeline` is called (under the hand-off's lock) by the request
  // that opens a round; it must not call back into the hand-off.
  explicit RestartHandoff(std::function<void()> stop_pipeline);

  // Asks for a restart; returns the number of restarts completed so far,
  // to pass to WaitPast.
  int64_t Request();
  // Whether a restart was asked for and is not completed yet.
  bool requested() const;
  // Controlling thread: the requested restart is done, with `result`.
  void Complete(const Status& result);
  // Waits up to `timeout` for the restart after `completed` to finish; its
  // result, or Unavailable naming the timeout.
  Status WaitPast(int64_t completed, std::chrono::milliseconds timeout);
  // The result of the last restart (OK before the first).
  Status last_result() const;

 private:
  const std::function<void()> stop_pipeline_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;  // guarded by mu_
  int64_t completed_ = 0;   // guarded by mu_
  Status last_result_;      // guarded by mu_
};

}  // namespace rvm::app
