#include "remote/heartbeat_service.h"

#include <algorithm>

#include "remote/status_report.h"

namespace rvm::remote {
namespace {

using std::chrono::milliseconds;

uint64_t SeedFrom(const HeartbeatOptions& o, const Clock& clock) {
  if (o.seed != 0) return o.seed;
  return static_cast<uint64_t>(clock.Now().time_since_epoch().count()) ^ 0x51ed27f3a9b1c4d5ULL;
}

uplink::BackoffOptions BackoffFrom(int64_t interval_ms, const HeartbeatOptions& o) {
  const int64_t interval = std::max<int64_t>(1, interval_ms);
  return {interval, std::max(interval, o.max_backoff_ms)};
}

}  // namespace

HeartbeatOptions HeartbeatOptionsFromConfig(const UplinkConfig& uplink, std::string version) {
  HeartbeatOptions o;
  o.interval_ms = static_cast<int64_t>(uplink.heartbeat_interval_s) * 1000;
  o.version = std::move(version);
  return o;
}

HeartbeatService::HeartbeatService(uplink::PlatformClient& client, ops::ServiceControl& service,
                                   const Clock& clock, HeartbeatOptions options,
                                   SnapshotUploader* uploader)
    : client_(client),
      service_(service),
      clock_(clock),
      options_(std::move(options)),
      executor_(service, clock, options_.commands, uploader),
      host_(options_.disk_path),
      backoff_(BackoffFrom(options_.interval_ms, options_), SeedFrom(options_, clock)),
      state_log_("heartbeat", clock, {}, options_.state_log_sink),
      interval_ms_(std::max<int64_t>(1, options_.interval_ms)) {}

HeartbeatService::~HeartbeatService() { Stop(); }

void HeartbeatService::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void HeartbeatService::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void HeartbeatService::SetInterval(std::chrono::milliseconds interval) {
  {
    std::lock_guard lock(mu_);
    interval_ms_ = std::max<int64_t>(1, interval.count());
    interval_changed_ = true;
  }
  cv_.notify_all();
}

void HeartbeatService::Loop() {
  while (true) {
    const HeartbeatRound round = RunOnce();
    const auto finished = std::chrono::steady_clock::now();
    std::unique_lock lock(mu_);
    auto due = finished + round.next;
    interval_changed_ = false;
    while (!stop_ && std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due, [&] { return stop_ || interval_changed_; });
      if (interval_changed_) {
        interval_changed_ = false;
        // A regular wait follows the new interval; a backoff or an
        // acknowledgement delay keeps its own.
        if (round.regular) due = finished + milliseconds(interval_ms_);
      }
    }
    if (stop_) return;
  }
}

milliseconds HeartbeatService::Backoff() {
  int64_t attempt = 1;
  {
    std::lock_guard lock(mu_);
    attempt = std::max<int64_t>(1, stats_.consecutive_failures);
    backoff_.set_options(BackoffFrom(interval_ms_, options_));
  }
  return milliseconds(backoff_.NextDelayMs(attempt));
}

HeartbeatRound HeartbeatService::RunOnce() {
  const ops::ServiceStatus status = service_.Status();
  uplink::HeartbeatInfo info;
  info.version = status.version.empty() ? options_.version : status.version;
  info.health = HealthMetrics(status, host_.Sample());
  size_t carried = 0;
  {
    std::lock_guard lock(mu_);
    carried = std::min(results_.size(), std::max<size_t>(1, options_.max_results_per_heartbeat));
    for (size_t i = 0; i < carried; ++i) info.command_results.push_back(results_[i]);
    ++stats_.attempts;
    stats_.last_attempt_ms = clock_.WallMillis();
  }

  auto reply = client_.Heartbeat(info);

  HeartbeatRound round;
  if (!reply.ok() || reply->not_authorised) {
    round.not_authorised = reply.ok();
    round.status =
        reply.ok() ? Unavailable("heartbeat not authorised: " + reply->message) : reply.status();
    {
      std::lock_guard lock(mu_);
      ++stats_.consecutive_failures;
      if (round.not_authorised) {
        ++stats_.not_authorised;
        stats_.state = "not_authorised";
      } else {
        ++stats_.failed;
        stats_.state = "failing";
      }
      stats_.last_error = round.status.message();
    }
    if (round.not_authorised) {
      state_log_.Report("heartbeat", "not_authorised", LogLevel::kWarn,
                        "heartbeat not authorised by the platform (403); retried with backoff",
                        {{"error", round.status.message()}});
    } else {
      state_log_.Report("heartbeat", "failing", LogLevel::kWarn,
                        "heartbeat failing; retried with backoff",
                        {{"error", round.status.message()}});
    }
    round.next = Backoff();
    return round;
  }

  // Acknowledged: the results it carried are delivered. Only this thread
  // removes results and it appends at the back, so they are still the first
  // `carried`, unless the queue overflowed meanwhile (it cannot: only this
  // thread appends too).
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < carried && !results_.empty(); ++i) results_.pop_front();
    stats_.results_sent += static_cast<int64_t>(carried);
    ++stats_.sent;
    stats_.consecutive_failures = 0;
    stats_.last_success_ms = clock_.WallMillis();
    stats_.state = "online";
    stats_.last_error.clear();
  }
  if (!state_log_.state("heartbeat").empty()) {
    state_log_.Report("heartbeat", "online", LogLevel::kInfo, "heartbeat recovered");
  } else {
    state_log_.Seed("heartbeat", "online");  // the first acknowledgement is not news
  }

  round.commands = static_cast<int>(reply->commands.size());
  for (const auto& element : reply->commands) {
    nlohmann::json result = executor_.Execute(element);
    std::lock_guard lock(mu_);
    results_.push_back(std::move(result));
    while (results_.size() > std::max<size_t>(1, options_.max_pending_results)) {
      results_.pop_front();
      ++stats_.results_dropped;
    }
  }

  std::lock_guard lock(mu_);
  stats_.commands = executor_.counts();
  stats_.results_pending = static_cast<int64_t>(results_.size());
  round.regular = results_.empty();
  round.next = round.regular ? milliseconds(interval_ms_)
                             : milliseconds(std::max<int64_t>(0, options_.ack_delay_ms));
  return round;
}

HeartbeatStats HeartbeatService::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace rvm::remote
