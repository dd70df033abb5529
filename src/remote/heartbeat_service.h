// HeartbeatService: reports the service's status to the MyRVM platform at a
// fixed interval and executes the remote commands the platform returns.
//
// One heartbeat (RunOnce) reads ServiceControl::Status() and the host's
// CPU/memory, sends them through PlatformClient::Heartbeat (edge v1
// `POST /edge/heartbeat`; v2 `POST /rvms/{id}/metrics`) together with the
// results of earlier commands, then hands each returned command to the
// CommandExecutor. Results wait in a bounded queue until a heartbeat carrying
// them is acknowledged; when the platform does not acknowledge, they go again
// with the next one (so the platform may see a result twice, never none while
// the queue has room). After commands ran, the next heartbeat goes out after
// `ack_delay_ms` rather than a whole interval, so the platform learns the
// outcome quickly.
//
// Failures never stop the loop: a heartbeat that fails (no answer, 5xx, a
// page that is not JSON) is counted and the next one waits an exponential,
// jittered backoff that starts at the interval and stops at
// `max_backoff_ms`. A 403 (edge v1 master: no technician assignment; a
// blocked machine) means "provisioned but not authorised": counted apart,
// shown as state "not_authorised", retried on the same backoff, and never
// taken for the platform being offline.
//
// The heartbeat runs on its own thread with its own PlatformClient (clients
// are not thread-safe; the delivery thread owns another). The pipeline never
// waits for it: the only calls into the service are ServiceControl's, which
// are safe from any thread; a slow platform delays only the next heartbeat
// (bounded by the client's request timeout).
//
// Thread-safety: Start, Stop and RunOnce are called by the owner (RunOnce
// only while the thread is not running, e.g. in tests); Stats is safe from
// any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "base/clock.h"
#include "logging/state_log.h"
#include "base/status.h"
#include "config/config.h"
#include "ops/service_control.h"
#include "remote/command_executor.h"
#include "remote/host_metrics.h"
#include "uplink/backoff.h"
#include "uplink/platform_client.h"

namespace rvm::remote {

struct HeartbeatOptions {
  int64_t interval_ms = 30'000;  // between acknowledged heartbeats (uplink.heartbeat_interval_s)
  int64_t max_backoff_ms = 300'000;  // longest wait after failures, ms (>= interval_ms)
  int64_t ack_delay_ms = 1'000;      // wait before the heartbeat that carries new results, ms
  size_t max_pending_results =
      100;  // results waiting for an acknowledged heartbeat; oldest dropped
  size_t max_results_per_heartbeat = 20;  // results sent in one heartbeat
  std::string version;                    // software version reported when the status has none
  std::string disk_path;  // filesystem whose use is reported ("" = none), e.g. the outbox directory
  uint64_t seed = 0;      // backoff jitter seed; 0 = from the clock
  CommandExecutorOptions commands;
  // Where the lines "heartbeat failing" / "recovered" / "not authorised" go,
  // once per change of state (logging/state_log.h); null = the service log.
  StateLog::Sink state_log_sink;
};

// The options uplink.heartbeat_interval_s sets; the rest keep their defaults.
HeartbeatOptions HeartbeatOptionsFromConfig(const UplinkConfig& uplink, std::string version);

struct HeartbeatStats {
  int64_t attempts = 0;              // heartbeats tried
  int64_t sent = 0;                  // heartbeats the platform acknowledged
  int64_t failed = 0;                // heartbeats that failed (no answer, 5xx, not JSON...)
  int64_t not_authorised = 0;        // heartbeats refused with 403
  int64_t consecutive_failures = 0;  // failures and 403s since the last acknowledgement
  int64_t last_success_ms = 0;       // wall time of the last acknowledgement; 0 = never
  int64_t last_attempt_ms = 0;       // wall time of the last attempt; 0 = never
  std::string last_error;            // why the last failed or refused heartbeat failed
  // "starting" (nothing tried yet), "online", "failing", "not_authorised".
  std::string state = "starting";
  CommandCounts commands;
  int64_t results_pending = 0;  // results not yet acknowledged
  int64_t results_sent = 0;     // results carried by acknowledged heartbeats
  int64_t results_dropped = 0;  // results dropped because the queue was full
};

struct HeartbeatRound {
  Status status;                      // OK when the platform acknowledged the heartbeat
  bool not_authorised = false;        // the platform answered 403
  int commands = 0;                   // commands in the reply
  std::chrono::milliseconds next{0};  // when the next heartbeat is due
  bool regular = false;  // `next` is the interval (not a backoff or an acknowledgement delay)
};

class HeartbeatService {
 public:
  // `client`, `service` and `clock` (and `uploader`, when given) must outlive
  // the service; `client` is used only by the heartbeat thread.
  HeartbeatService(uplink::PlatformClient& client, ops::ServiceControl& service, const Clock& clock,
                   HeartbeatOptions options, SnapshotUploader* uploader = nullptr);
  ~HeartbeatService();
  HeartbeatService(const HeartbeatService&) = delete;
  HeartbeatService& operator=(const HeartbeatService&) = delete;

  // Starts the thread; the first heartbeat goes out at once.
  void Start();
  // Finishes the heartbeat in flight (bounded by the client's request
  // timeout) and joins. Results not yet acknowledged are lost with the process.
  void Stop();

  // One heartbeat on the calling thread.
  HeartbeatRound RunOnce();

  // Replaces interval_ms (uplink.heartbeat_interval_s reloaded; > 0): a wait
  // in progress for the next regular heartbeat ends at the new interval after
  // the last one, and the failure backoff starts from it. Any thread.
  void SetInterval(std::chrono::milliseconds interval);

  HeartbeatStats Stats() const;

 private:
  void Loop();
  std::chrono::milliseconds Backoff();

  uplink::PlatformClient& client_;
  ops::ServiceControl& service_;
  const Clock& clock_;
  const HeartbeatOptions options_;  // interval_ms: see interval_

  // Heartbeat-thread state.
  CommandExecutor executor_;
  HostSampler host_;
  uplink::Backoff backoff_;
  StateLog state_log_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                   // guarded by mu_
  int64_t interval_ms_;                 // guarded by mu_: options_.interval_ms or SetInterval's
  bool interval_changed_ = false;       // guarded by mu_: SetInterval since the wait began
  std::deque<nlohmann::json> results_;  // guarded by mu_; oldest first
  HeartbeatStats stats_;                // guarded by mu_
  std::thread thread_;
};

}  // namespace rvm::remote
