// ReconnectingSource: keeps a live source (camera, GStreamer pipeline)
// delivering across unplugs, stalls and driver hiccups, so the service keeps
// running, reports the outage, and recovers when the device returns.
//
// It wraps any FrameSource. When reads fail temporarily
// `failures_before_reopen` times in a row, or no frame has arrived for
// `stall_timeout`, it closes the inner source and reopens it, waiting
// `initial_backoff` before the first attempt and doubling the wait after each
// failed attempt up to `max_backoff`. The wait is reset once a frame is read
// again (not merely when Open() succeeds, so a device that opens but never
// delivers does not get hammered). Each Read() makes at most one reopen
// attempt and returns kUnavailable while the source is down, so the caller
// stays in control (it can stop, report health, or keep going). Fatal errors
// from the inner source are passed through unchanged.
//
// Frames are renumbered so sequence numbers keep rising across reconnects.
//
// A stall is seen when a read finally returns without a frame. A read that
// never returns cannot be seen from inside this thread: OpenCV's V4L2 backend
// gives up on a read after about 10 s, but a GStreamer appsink can block
// indefinitely, so the pipeline should watch the capture thread's progress.
//
// Waiting goes through the injected SleepFn and time through the Clock, so
// tests run a whole outage with a FakeClock in microseconds; the pipeline can
// pass a SleepFn that wakes early on shutdown.
//
// Thread-safety: Open/Read/Close from one thread (the capture thread).
// state(), reconnects(), failed_attempts() and last_error() may be called from
// any thread (health checks, metrics).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "base/clock.h"
#include "capture/frame_source.h"
#include "capture/sleep.h"

namespace rvm {

struct ReconnectOptions {
  // Wait before the first reopen attempt after a failure.
  std::chrono::milliseconds initial_backoff{500};
  // Longest wait between reopen attempts.
  std::chrono::milliseconds max_backoff{30000};
  // Consecutive failed reads that count as the device being lost.
  int failures_before_reopen = 3;
  // No frame for this long counts as a stall, even if reads have not failed
  // that often (a read that hangs and then fails).
  std::chrono::milliseconds stall_timeout{3000};
  // Treat end of stream as a failure to recover from (a live GStreamer
  // pipeline that ends has lost its camera) rather than passing it on.
  bool end_of_stream_is_failure = true;
};

enum class SourceState { kClosed, kConnected, kReconnecting };
const char* SourceStateName(SourceState state);

class ReconnectingSource final : public FrameSource {
 public:
  // `clock` must outlive the source.
  ReconnectingSource(std::unique_ptr<FrameSource> inner, ReconnectOptions options,
                     const Clock& clock, SleepFn sleep = RealSleep());

  // Rejects out-of-range options with a message naming the field.
  static Status Validate(const ReconnectOptions& options);

  // Opens the inner source. A temporary failure (camera not plugged in yet)
  // is not an error here: the source starts out reconnecting and Read() keeps
  // trying. Fatal errors are returned.
  Status Open() override;
  Status Read(Frame& into) override;
  void Close() override;
  const std::string& name() const override { return inner_->name(); }
  std::string Describe() const override;
  bool StartsOverWhenReopened() const override { return inner_->StartsOverWhenReopened(); }

  SourceState state() const { return state_.load(std::memory_order_acquire); }
  // Successful reopens after a loss.
  int64_t reconnects() const { return reconnects_.load(std::memory_order_relaxed); }
  // Reopen attempts that failed.
  int64_t failed_attempts() const { return failed_attempts_.load(std::memory_order_relaxed); }
  // The failure that caused the current or latest outage; OK if none yet.
  Status last_error() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  void StartReconnecting(const Status& cause);
  void SetLastError(const Status& s);

  std::unique_ptr<FrameSource> inner_;
  const ReconnectOptions options_;
  const Clock& clock_;
  SleepFn sleep_;

  std::atomic<SourceState> state_{SourceState::kClosed};
  std::atomic<int64_t> reconnects_{0};
  std::atomic<int64_t> failed_attempts_{0};
  mutable std::mutex error_mu_;
  Status last_error_;  // guarded by error_mu_

  // Capture thread only.
  std::chrono::milliseconds backoff_{0};
  TimePoint next_attempt_{};
  TimePoint last_frame_at_{};
  int consecutive_failures_ = 0;
  bool ever_connected_ = false;
  int64_t next_seq_ = 0;
};

}  // namespace rvm
