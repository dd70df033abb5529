// DeliveryService: moves records from the outbox to the platform.
//
// One thread runs delivery rounds. A round takes the pending records that are
// due from the outbox (Outbox::NextPending, in seq order), reads each deposit's
// evidence, sends deposits in order with up to `max_in_flight` requests in
// flight and session summaries as a batch through the PlatformClient, and
// then updates the outbox: records the
// platform acknowledged are marked delivered (in one transaction per round,
// and only after the acknowledgement), records it refused for good are
// parked with its message, and the first record that failed is scheduled for
// a retry. Nothing after a failed record is started in that round (records
// already in flight finish, and count if the platform acknowledged them), and
// every later round waits for the failed record's retry time, so the backlog
// is replayed in order: strictly with max_in_flight = 1, and otherwise no
// record reaches the platform before the record max_in_flight places earlier
// was acknowledged (docs/uplink.md, "Order").
//
// Retries use exponential backoff with full jitter (Backoff), or the server's
// Retry-After when it sent one. A CircuitBreaker opens after consecutive
// failures; while it is open nothing is sent, and then a single record probes
// the platform. `max_records_per_s` bounds the replay rate so a long backlog
// does not starve new items or swamp the platform; new records keep flowing
// into the outbox meanwhile (appending never waits for delivery).
//
// With `handshake` set, the delivery thread also makes the platform handshake
// (PlatformClient::Register): at once, and after a failure again on the
// same backoff until it succeeds. Nothing waits for it: records are
// delivered, heartbeats sent and items decided before and during its
// retries (the platforms take deposits on the API key alone); only the
// platform's record of the device (version, hardware id) waits.
//
// Outages and recoveries are logged once per change of state, through
// StateLog (logging/state_log.h): delivery failing (with the error) and
// resumed (with the backlog's size and age), the circuit breaker opening,
// half-opening and closing, the handshake retried and succeeded.
//
// A crash between the platform's acknowledgement and MarkDelivered sends the
// record again after restart; the idempotency key makes that a duplicate the
// platform absorbs (and counts), never a second credit.
//
// Thread-safety: Start, Stop and RunOnce are called by the owner (RunOnce
// only while the thread is not running, e.g. in tests); Notify and Stats are
// safe from any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "logging/state_log.h"
#include "outbox/outbox.h"
#include "uplink/backoff.h"
#include "uplink/batch_policy.h"
#include "uplink/circuit_breaker.h"
#include "uplink/platform_client.h"

namespace rvm::uplink {

struct DeliveryOptions {
  int records_per_round = 100;  // records taken from the outbox per round, >= 1
  // Deposit requests in flight at once (edge v1), [1, HttpClient::kMaxConnections].
  // Record n is sent only once record n - max_in_flight has its answer; 1 =
  // strictly one after the other. Used only by rounds that filled up
  // (replaying a backlog), and not by the first round after a failure (or
  // start), so live items keep to one connection and a dead platform is not
  // sent a window per attempt.
  int max_in_flight = 4;
  BatchOptions session_batch;  // sync-offline batching of session summaries
  BackoffOptions backoff;
  CircuitBreakerOptions breaker;
  double max_records_per_s = 0;            // bound on the delivery rate, records/s; 0 = none
  int64_t idle_poll_ms = 500;              // how often an idle service looks at the outbox, ms
  int64_t max_retry_after_ms = 3'600'000;  // a larger Retry-After is capped to this, ms
  uint64_t seed = 0;                       // jitter RNG seed; 0 = from the clock
  bool handshake = false;  // Register with the platform on the delivery thread (see above)
  StateLog::Sink state_log_sink;  // where state-change lines go; null = the service log
};

// Deposits sent between two MarkDelivered calls: four windows' worth.
inline int DepositChunk(const DeliveryOptions& o) { return 4 * std::max(1, o.max_in_flight); }

// The most records one crash can leave sent (and perhaps stored by the
// platform) but still pending in the outbox, so sent again after the
// restart: one deposit chunk or one session batch, whichever is larger. The
// platform's dedupe on the idempotency key absorbs those re-sends; a platform
// that does not deduplicate sees at most this many repeats per crash.
inline int InFlightBound(const DeliveryOptions& o) {
  return std::max(DepositChunk(o), std::max(1, o.session_batch.max_records));
}

struct DeliveryStats {
  int64_t rounds = 0;
  int64_t delivered = 0;      // records the platform acknowledged
  int64_t skipped = 0;        // delivered without a request (e.g. sessions without items)
  int64_t parked = 0;         // records refused for good
  int64_t retries = 0;        // failed attempts scheduled for a retry
  int64_t garbled_acks = 0;   // 2xx answers whose body did not parse (retried, not acks)
  int64_t auth_failures = 0;  // credentials refused even after a fresh login
  int64_t outbox_errors = 0;  // outbox reads or updates that failed
  int64_t purged = 0;         // delivered records removed by the retention policy
  int64_t api_calls = 0;      // requests the client made
  int64_t connections_opened = 0;
  std::string circuit = "closed";
  int64_t circuit_opened = 0;  // times the circuit opened
  std::string last_error;      // the most recent retry or park reason
  // "off" (not asked for), "pending", "retrying" (failed at least once), "done".
  std::string handshake = "off";
  int64_t handshake_attempts = 0;
  // From the outbox, read when Stats() is called.
  int64_t backlog_records = 0;
  int64_t backlog_bytes = 0;
  int64_t backlog_oldest_age_ms = 0;
  int64_t parked_records = 0;
  bool outbox_accepting = true;
};

struct RoundResult {
  int handled = 0;                    // records delivered, parked or scheduled for retry
  std::chrono::milliseconds wait{0};  // how long before the next round is useful
};

class DeliveryService {
 public:
  DeliveryService(outbox::Outbox& outbox, PlatformClient& client, const Clock& clock,
                  DeliveryOptions options);
  ~DeliveryService();
  DeliveryService(const DeliveryService&) = delete;
  DeliveryService& operator=(const DeliveryService&) = delete;

  void Start();
  // Finishes the round in progress (bounded by the client's request timeout) and joins.
  void Stop();
  // Wakes the thread: a record was appended.
  void Notify();
  // From now on session batches go out at once instead of waiting to fill
  // (a stopping service drains what it has), and a round starts now.
  void SendBatchesNow();

  // Retries scheduled from the next round on use `backoff` (uplink.retry_backoff_*
  // reloaded); a retry already scheduled keeps its time. Any thread.
  void SetBackoff(BackoffOptions backoff);

  // One delivery round on the calling thread.
  Result<RoundResult> RunOnce();

  DeliveryStats Stats();
  // The delivery counters alone, without the outbox fields (which Stats()
  // reads from the outbox with queries that scan the backlog): cheap enough
  // to poll often.
  DeliveryStats Counters();

 private:
  void Loop();
  // RunOnce's round; RunOnce counts its errors.
  Result<RoundResult> Round();
  // Marks `seqs` delivered and adds them to `marked_count`. On failure they
  // are kept in unmarked_ and not_before_ is set on the backoff, so the next
  // round marks them again, and sends nothing, once that time has come.
  Status MarkDelivered(std::vector<int64_t> seqs, int64_t& marked_count);
  // The longest delay a retry can be scheduled with: the backoff's ceiling
  // or the largest Retry-After taken, whichever is larger.
  int64_t LongestRetryDelayMs() const;
  // Applies the outcomes of one send; returns false when a record must be retried.
  bool Apply(std::span<const OutgoingRecord> sent, const std::vector<SendOutcome>& outcomes,
             std::vector<int64_t>& delivered, int& handled);
  // Runs the outbox's retention policy (Outbox::ApplyRetention).
  void ApplyRetention(bool now_too);
  // One handshake attempt; schedules the next on failure.
  void Handshake();
  // Logs the circuit breaker's state when it changed.
  void ReportCircuit();
  // Logs delivery failing or resuming when that changed.
  void ReportLink(bool ok);

  outbox::Outbox& outbox_;
  PlatformClient& client_;
  const Clock& clock_;
  const DeliveryOptions options_;

  // Delivery-thread state.
  Backoff backoff_;
  CircuitBreaker breaker_;
  std::chrono::steady_clock::time_point not_before_{};
  int64_t failures_in_a_row_ = 0;  // failed sends since the last answer: the backoff's exponent
  // The record this service last scheduled for a retry (MarkRetry): due once
  // not_before_ has passed, whatever the wall clock says.
  int64_t retry_seq_ = -1;
  // Records the platform acknowledged whose MarkDelivered failed; marked
  // before anything else is sent.
  std::vector<int64_t> unmarked_;
  int64_t mark_failures_in_a_row_ = 0;  // the backoff's exponent for marking
  // Deposits go with the full max_in_flight window only after a send
  // succeeded since the start or the last failure; until then one at a time.
  bool full_window_ = false;
  // When the retention policy last ran.
  std::chrono::steady_clock::time_point last_retention_{};
  StateLog state_log_;
  std::string round_failure_;  // why the round's failed send failed
  Backoff handshake_backoff_;
  bool handshake_done_ = false;
  int64_t handshake_attempts_ = 0;
  std::chrono::steady_clock::time_point handshake_not_before_{};

  // Set by SendBatchesNow (any thread).
  std::atomic<bool> batches_now_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;      // guarded by mu_
  bool notified_ = false;  // guarded by mu_
  DeliveryStats stats_;    // guarded by mu_ (outbox fields filled in by Stats())
  std::optional<BackoffOptions> new_backoff_;  // guarded by mu_: SetBackoff's, not yet taken
  std::thread thread_;
};

}  // namespace rvm::uplink
