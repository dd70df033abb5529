#include "capture/reconnecting_source.h"

#include <algorithm>

namespace rvm {

const char* SourceStateName(SourceState state) {
  switch (state) {
    case SourceState::kClosed:
      return "closed";
    case SourceState::kConnected:
      return "connected";
    case SourceState::kReconnecting:
      return "reconnecting";
  }
  return "unknown";
}

ReconnectingSource::ReconnectingSource(std::unique_ptr<FrameSource> inner, ReconnectOptions options,
                                       const Clock& clock, SleepFn sleep)
    : inner_(std::move(inner)),
      options_(options),
      clock_(clock),
      sleep_(std::move(sleep)),
      backoff_(options.initial_backoff) {}

Status ReconnectingSource::Validate(const ReconnectOptions& o) {
  if (o.initial_backoff.count() <= 0) {
    return InvalidArgument("reconnect: initial_backoff must be > 0 ms");
  }
  if (o.max_backoff < o.initial_backoff) {
    return InvalidArgument("reconnect: max_backoff (" + std::to_string(o.max_backoff.count()) +
                           " ms) must be >= initial_backoff (" +
                           std::to_string(o.initial_backoff.count()) + " ms)");
  }
  if (o.failures_before_reopen < 1) {
    return InvalidArgument("reconnect: failures_before_reopen must be >= 1");
  }
  if (o.stall_timeout.count() <= 0) {
    return InvalidArgument("reconnect: stall_timeout must be > 0 ms");
  }
  return Status::Ok();
}

Status ReconnectingSource::last_error() const {
  std::lock_guard<std::mutex> lock(error_mu_);
  return last_error_;
}

void ReconnectingSource::SetLastError(const Status& s) {
  std::lock_guard<std::mutex> lock(error_mu_);
  last_error_ = s;
}

Status ReconnectingSource::Open() {
  backoff_ = options_.initial_backoff;
  consecutive_failures_ = 0;
  Status s = inner_->Open();
  if (s.ok()) {
    ever_connected_ = true;
    state_.store(SourceState::kConnected, std::memory_order_release);
    last_frame_at_ = clock_.Now();
    return s;
  }
  if (IsFatal(s)) return s;
  StartReconnecting(s);
  return Status::Ok();
}

void ReconnectingSource::Close() {
  inner_->Close();
  state_.store(SourceState::kClosed, std::memory_order_release);
}

void ReconnectingSource::StartReconnecting(const Status& cause) {
  SetLastError(cause);
  inner_->Close();
  consecutive_failures_ = 0;
  next_attempt_ = clock_.Now() + backoff_;
  state_.store(SourceState::kReconnecting, std::memory_order_release);
}

Status ReconnectingSource::Read(Frame& into) {
  switch (state()) {
    case SourceState::kClosed:
      return Unavailable("source '" + name() + "': not open");
    case SourceState::kConnected:
      break;
    case SourceState::kReconnecting: {
      TimePoint now = clock_.Now();
      if (next_attempt_ > now) sleep_(next_attempt_ - now);
      Status s = inner_->Open();
      if (IsFatal(s)) return s;
      if (!s.ok()) {
        failed_attempts_.fetch_add(1, std::memory_order_relaxed);
        SetLastError(s);
        backoff_ = std::min(backoff_ * 2, options_.max_backoff);
        next_attempt_ = clock_.Now() + backoff_;
        return Unavailable("source '" + name() + "': reconnecting, next attempt in " +
                           std::to_string(backoff_.count()) + " ms: " + s.message());
      }
      if (ever_connected_) reconnects_.fetch_add(1, std::memory_order_relaxed);
      ever_connected_ = true;
      state_.store(SourceState::kConnected, std::memory_order_release);
      last_frame_at_ = clock_.Now();  // the stall timer starts with the new connection
      break;
    }
  }

  Status s = inner_->Read(into);
  if (s.ok()) {
    consecutive_failures_ = 0;
    backoff_ = options_.initial_backoff;
    last_frame_at_ = clock_.Now();
    into.seq = next_seq_++;
    return s;
  }
  bool failure = IsTemporary(s) || (IsEndOfStream(s) && options_.end_of_stream_is_failure);
  if (!failure) return s;
  ++consecutive_failures_;
  SetLastError(s);
  bool stalled = clock_.Now() - last_frame_at_ >= options_.stall_timeout;
  if (stalled || consecutive_failures_ >= options_.failures_before_reopen) {
    StartReconnecting(s);
    return Unavailable("source '" + name() + "': lost (" + s.message() + "); reconnecting");
  }
  return Unavailable(s.message());
}

std::string ReconnectingSource::Describe() const {
  return inner_->Describe() + " [" + SourceStateName(state()) + ", " +
         std::to_string(reconnects()) + " reconnect(s)]";
}

}  // namespace rvm
