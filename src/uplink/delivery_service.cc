#include "uplink/delivery_service.h"

#include <utility>

#include <algorithm>
#include <limits>
#include <vector>

#include "base/crash_point.h"

namespace rvm::uplink {
namespace {

uint64_t SeedFrom(const DeliveryOptions& o, const Clock& clock) {
  if (o.seed != 0) return o.seed;
  return static_cast<uint64_t>(clock.Now().time_since_epoch().count()) ^ 0x9e3779b97f4a7c15ULL;
}

}  // namespace

DeliveryService::DeliveryService(outbox::Outbox& outbox, PlatformClient& client, const Clock& clock,
                                 DeliveryOptions options)
    : outbox_(outbox),
      client_(client),
      clock_(clock),
      options_(options),
      backoff_(options.backoff, SeedFrom(options, clock)),
      breaker_(options.breaker, clock),
      state_log_("uplink", clock, {}, options.state_log_sink),
      handshake_backoff_(options.backoff, SeedFrom(options, clock) + 1) {
  state_log_.Seed("circuit", CircuitStateName(CircuitState::kClosed));
  if (options_.handshake) stats_.handshake = "pending";
}

DeliveryService::~DeliveryService() { Stop(); }

void DeliveryService::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
}

void DeliveryService::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliveryService::SendBatchesNow() {
  batches_now_.store(true);
  Notify();
}

void DeliveryService::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void DeliveryService::Loop() {
  using std::chrono::milliseconds;
  const milliseconds idle(std::max<int64_t>(1, options_.idle_poll_ms));
  while (true) {
    const auto start = clock_.Now();
    auto round = RunOnce();
    milliseconds wait = idle;
    if (round.ok()) {
      // After a productive round go straight on: the next round finds out
      // whether anything is due. Otherwise wait for what RunOnce asked for.
      if (round->handled > 0) {
        wait = milliseconds(0);
      } else if (round->wait > milliseconds(0)) {
        wait = round->wait;
      }
      if (options_.handshake && !handshake_done_) {
        // The next handshake attempt is due then, whatever the outbox holds.
        const auto until = std::chrono::duration_cast<milliseconds>(handshake_not_before_ -
                                                                    clock_.Now());
        wait = std::min(wait, std::max(until, milliseconds(1)));
      }
      if (round->handled > 0 && options_.max_records_per_s > 0) {
        // Rate bound: this round's records spread over at least handled/rate seconds.
        const auto budget = std::chrono::duration_cast<milliseconds>(
            std::chrono::duration<double>(round->handled / options_.max_records_per_s));
        const auto spent = std::chrono::duration_cast<milliseconds>(clock_.Now() - start);
        wait = std::max(wait, budget - spent);
      }
    }
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (wait > milliseconds(0)) {
      // A new record cuts an idle wait short (RunOnce still refuses to send
      // before a retry is due or while the circuit is open); the rate bound's
      // wait is never cut short.
      const bool interruptible = !round.ok() || round->handled == 0;
      cv_.wait_for(lock, wait, [&] { return stop_ || (interruptible && notified_); });
      if (stop_) return;
    }
    notified_ = false;
  }
}

bool DeliveryService::Apply(std::span<const OutgoingRecord> sent,
                            const std::vector<SendOutcome>& outcomes,
                            std::vector<int64_t>& delivered, int& handled) {
  bool ok = true;
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < sent.size() && i < outcomes.size(); ++i) {
    // Answers that came after a failure (from a window of requests) say
    // nothing about the platform being up again: only the failure feeds the
    // circuit breaker.
    const bool feeds_breaker = ok;
    const outbox::StoredRecord& rec = *sent[i].record;
    const SendOutcome& o = outcomes[i];
    if (o.garbled_ack) ++stats_.garbled_acks;
    switch (o.kind) {
      case OutcomeKind::kDelivered:
        delivered.push_back(rec.seq);
        ++handled;
        if (o.skipped) ++stats_.skipped;
        if (feeds_breaker) {
          breaker_.RecordSuccess();
          failures_in_a_row_ = 0;
        }
        break;
      case OutcomeKind::kPark:
        if (Status st = outbox_.Park(rec.seq, o.message); !st.ok()) {
          ++stats_.outbox_errors;
          stats_.last_error = st.ToString();
        } else {
          ++stats_.parked;
          stats_.last_error = o.message;
        }
        ++handled;
        if (feeds_breaker) {
          breaker_.RecordSuccess();  // the platform answered: it is up
          failures_in_a_row_ = 0;
        }
        break;
      case OutcomeKind::kRetry: {
        if (!ok) break;  // adapters report one retry per send; later records stay pending
        // The backoff grows with the link's failures in a row, not with the
        // record's own attempts: after an answer the platform gets the
        // benefit of the doubt again, so a platform that fails one request in
        // three is retried within a second, while one that stays down is
        // backed off as before (docs/uplink-performance.md, "Partial failure").
        // Retry-After is a lower bound ("Retry-After: 0" must not make a loop).
        int64_t delay = backoff_.NextDelayMs(++failures_in_a_row_);
        if (o.retry_after_ms >= 0) {
          delay = std::max(delay, std::min(o.retry_after_ms, options_.max_retry_after_ms));
        }
        const int64_t next = clock_.WallMillis() + delay;
        if (Status st = outbox_.MarkRetry(rec.seq, next, o.message); !st.ok()) {
          ++stats_.outbox_errors;
          stats_.last_error = st.ToString();
        } else {
          retry_seq_ = rec.seq;
        }
        not_before_ = clock_.Now() + std::chrono::milliseconds(delay);
        ++stats_.retries;
        if (o.auth_failure) ++stats_.auth_failures;
        stats_.last_error = o.message;
        round_failure_ = o.message;
        breaker_.RecordFailure();
        ++handled;
        ok = false;
        break;
      }
      case OutcomeKind::kNotSent:
        break;
    }
  }
  return ok;
}

void DeliveryService::ApplyRetention(bool now_too) {
  // The policy scans the outbox: after rounds that delivered something, at
  // most every 10 s; while the outbox is not accepting (`now_too`), at most
  // every second.
  const auto now = clock_.Now();
  if (now < last_retention_ + (now_too ? std::chrono::seconds(1) : std::chrono::seconds(10)) &&
      last_retention_ != std::chrono::steady_clock::time_point{}) {
    return;
  }
  last_retention_ = now;
  auto purged = outbox_.ApplyRetention();
  std::lock_guard lock(mu_);
  if (purged.ok()) {
    stats_.purged += *purged;
  } else {
    ++stats_.outbox_errors;
    stats_.last_error = purged.status().ToString();
  }
}

void DeliveryService::Handshake() {
  ++handshake_attempts_;
  const Status s = client_.Register();
  if (s.ok()) {
    handshake_done_ = true;
    state_log_.Report("handshake", "done", LogLevel::kInfo,
                      "handshake with the platform succeeded",
                      {{"attempts", handshake_attempts_}});
  } else {
    const int64_t delay = handshake_backoff_.NextDelayMs(static_cast<int>(
        std::min<int64_t>(handshake_attempts_, std::numeric_limits<int>::max())));
    handshake_not_before_ = clock_.Now() + std::chrono::milliseconds(delay);
    state_log_.Report("handshake", "retrying", LogLevel::kWarn,
                      "handshake with the platform failed; retrying with the uplink's backoff "
                      "until it succeeds (deliveries, heartbeats and decisions go on meanwhile)",
                      {{"error", s.message()}, {"next_attempt_in_ms", delay}});
  }
  std::lock_guard lock(mu_);
  stats_.handshake = handshake_done_ ? "done" : "retrying";
  stats_.handshake_attempts = handshake_attempts_;
}

void DeliveryService::ReportCircuit() {
  const CircuitState state = breaker_.state();
  const std::string_view name = CircuitStateName(state);
  if (state_log_.state("circuit") == name) return;
  switch (state) {
    case CircuitState::kOpen:
      // A failed probe opens it again: the same outage, not news. An outage
      // is three lines (open, the first half-open, closed), however many
      // probes fail in between.
      if (state_log_.state("circuit") == CircuitStateName(CircuitState::kHalfOpen)) return;
      state_log_.Report("circuit", name, LogLevel::kWarn,
                        "circuit breaker open: no requests to the platform until it half-opens",
                        {{"open_for_ms", static_cast<int64_t>(breaker_.RemainingOpen().count())},
                         {"times_opened", breaker_.times_opened()}});
      break;
    case CircuitState::kHalfOpen:
      state_log_.Report("circuit", name, LogLevel::kInfo,
                        "circuit breaker half-open: one record probes the platform");
      break;
    case CircuitState::kClosed:
      state_log_.Report("circuit", name, LogLevel::kInfo,
                        "circuit breaker closed: the platform answered the probe");
      break;
  }
}

void DeliveryService::ReportLink(bool ok) {
  if (!ok) {
    state_log_.Report("platform", "failing", LogLevel::kWarn,
                      "delivery to the platform failing; records wait in the outbox and are "
                      "retried with backoff",
                      {{"error", round_failure_}});
    return;
  }
  if (state_log_.state("platform") == "delivering") return;
  // Read only on the change: the backlog figures scan the outbox.
  std::vector<LogField> fields;
  if (auto s = outbox_.Stats(); s.ok()) {
    fields.emplace_back("backlog_records", s->pending);
    fields.emplace_back("backlog_oldest_age_s", s->oldest_pending_age_ms / 1000.0);
  }
  state_log_.Report("platform", "delivering", LogLevel::kInfo,
                    state_log_.state("platform").empty()
                        ? "delivering to the platform"
                        : "delivery to the platform resumed",
                    std::move(fields));
}

void DeliveryService::SetBackoff(BackoffOptions backoff) {
  std::lock_guard lock(mu_);
  new_backoff_ = backoff;
}

Result<RoundResult> DeliveryService::RunOnce() {
  Result<RoundResult> round = Round();
  if (!round.ok()) {
    std::lock_guard lock(mu_);
    ++stats_.outbox_errors;
    stats_.last_error = round.status().ToString();
  }
  return round;
}

int64_t DeliveryService::LongestRetryDelayMs() const {
  return std::max(backoff_.options().max_ms, options_.max_retry_after_ms);
}

Status DeliveryService::MarkDelivered(std::vector<int64_t> seqs, int64_t& marked_count) {
  if (seqs.empty()) return Status::Ok();
  CrashPoint("platform_acknowledged");
  Status marked = outbox_.MarkDelivered(seqs);
  if (!marked.ok()) {
    // The platform has these records, the outbox still says pending. They
    // are marked again, after a backoff and before anything else is sent:
    // sending more meanwhile would re-send them every round, and a crash
    // would then leave more than InFlightBound records sent but unmarked.
    unmarked_ = std::move(seqs);
    not_before_ =
        clock_.Now() + std::chrono::milliseconds(backoff_.NextDelayMs(++mark_failures_in_a_row_));
    return marked;
  }
  mark_failures_in_a_row_ = 0;
  marked_count += static_cast<int64_t>(seqs.size());
  CrashPoint("delivery_marked");
  return Status::Ok();
}

Result<RoundResult> DeliveryService::Round() {
  using std::chrono::milliseconds;
  {
    std::lock_guard lock(mu_);
    if (new_backoff_) backoff_.set_options(*std::exchange(new_backoff_, std::nullopt));
  }
  RoundResult result;
  if (options_.handshake && !handshake_done_ && clock_.Now() >= handshake_not_before_) {
    Handshake();
  }
  const auto now = clock_.Now();
  if (now < not_before_) {
    result.wait = std::chrono::duration_cast<milliseconds>(not_before_ - now) + milliseconds(1);
    return result;
  }
  // Records acknowledged earlier whose marking failed are marked first;
  // nothing is sent until they are.
  int64_t marked_count = 0;
  if (!unmarked_.empty()) {
    const size_t n = unmarked_.size();
    RVM_RETURN_IF_ERROR(MarkDelivered(std::exchange(unmarked_, {}), marked_count));
    result.handled += static_cast<int>(n);
    std::lock_guard lock(mu_);
    stats_.delivered += marked_count;
    marked_count = 0;
  }
  // A full outbox frees the room of what was delivered before anything else.
  if (!outbox_.accepting()) ApplyRetention(/*now_too=*/true);
  const int limit =
      breaker_.state() == CircuitState::kClosed ? std::max(1, options_.records_per_round) : 1;
  // Every pending record, due or not: a record scheduled for a retry holds back
  // the records after it, so the backlog goes out in order even across restarts.
  auto pending = outbox_.NextPending(limit, std::numeric_limits<int64_t>::max());
  if (!pending.ok()) return pending.status();
  const int64_t wall = clock_.WallMillis();
  const int64_t longest = LongestRetryDelayMs();
  // Retry times are wall-clock times (they outlive the process). A record
  // scheduled further ahead than any retry delay can be was scheduled before
  // the wall clock stepped back (NTP, an RTC set late): it is due now, else
  // delivery would stall for the size of the step. The record this service
  // scheduled itself is due once its steady-clock time (not_before_, checked
  // above) has passed, whatever the wall clock did since.
  auto due = [&](const outbox::StoredRecord& rec) {
    return rec.next_attempt_ms <= wall || rec.next_attempt_ms - wall > longest ||
           rec.seq == retry_seq_;
  };
  const bool more_waiting = static_cast<int>(pending->size()) >= limit;
  auto first_not_due =
      std::find_if(pending->begin(), pending->end(), [&](const auto& rec) { return !due(rec); });
  if (first_not_due == pending->begin() && !pending->empty()) {
    result.wait = milliseconds(std::max<int64_t>(1, pending->front().next_attempt_ms - wall));
    return result;
  }
  pending->erase(first_not_due, pending->end());
  if (pending->empty()) return result;
  const bool allowed = breaker_.AllowRequest();
  ReportCircuit();
  if (!allowed) {
    result.wait = std::max(breaker_.RemainingOpen(), milliseconds(1));
    return result;
  }

  std::vector<OutgoingRecord> deposits;
  std::vector<OutgoingRecord> sessions;
  for (const auto& rec : *pending) {
    OutgoingRecord out{&rec, {}};
    if (rec.kind == outbox::RecordKind::kSession) {
      sessions.push_back(std::move(out));
      continue;
    }
    if (rec.evidence == outbox::EvidenceState::kStored) {
      auto jpeg = outbox_.ReadEvidence(rec.seq);
      if (jpeg.ok()) out.evidence_jpeg = std::move(jpeg).value();
    }
    deposits.push_back(std::move(out));
  }

  std::vector<int64_t> delivered;
  Status marked = Status::Ok();
  // Acknowledged records are marked delivered after every chunk of deposits
  // and every session batch, not once per round: what a crash can leave
  // acknowledged by the platform but still pending here (and so sent again)
  // is one chunk or one batch (InFlightBound, docs/uplink.md). When marking
  // fails nothing more is sent (see MarkDelivered).
  auto mark = [&] {
    if (!marked.ok()) return;
    marked = MarkDelivered(std::exchange(delivered, {}), marked_count);
  };
  bool ok = true;
  if (!deposits.empty()) {
    // The window is for replaying a backlog (a round that filled up): live
    // items, a few per round, go one at a time over one connection. And one
    // at a time until a send has gone through since the last failure, so a
    // platform that is down sees one request per attempt, not a window.
    const int window = full_window_ && more_waiting ? std::max(1, options_.max_in_flight) : 1;
    const size_t chunk = static_cast<size_t>(DepositChunk(options_));
    for (size_t i = 0; i < deposits.size() && ok && marked.ok();) {
      const size_t n = std::min(chunk, deposits.size() - i);
      std::span<const OutgoingRecord> part(deposits.data() + i, n);
      ok = Apply(part, client_.SendDeposits(part, window), delivered, result.handled);
      mark();
      i += n;
    }
    full_window_ = ok;
  }
  if (ok && marked.ok() && !sessions.empty()) {
    // Created "in the future": the wall clock stepped back since, and the
    // record's age is unknown. It counts as having waited its full delay;
    // waiting for the wall clock to catch up would stall the batch for the
    // size of the step. So the wait below is never above max_delay_ms.
    const int64_t created = sessions.front().record->created_ms;
    const int64_t wall_now = clock_.WallMillis();
    const int64_t oldest_wait =
        created > wall_now ? options_.session_batch.max_delay_ms : wall_now - created;
    if (!client_.batches_sessions() || more_waiting || batches_now_.load() ||
        ShouldSendBatch(static_cast<int>(sessions.size()), oldest_wait, options_.session_batch)) {
      for (size_t i = 0; i < sessions.size() && ok && marked.ok();) {
        const size_t n =
            std::min<size_t>(std::max(1, options_.session_batch.max_records), sessions.size() - i);
        std::span<const OutgoingRecord> batch(sessions.data() + i, n);
        ok = Apply(batch, client_.SendSessions(batch), delivered, result.handled);
        mark();
        i += n;
      }
    } else {
      result.wait =
          milliseconds(std::max<int64_t>(1, options_.session_batch.max_delay_ms - oldest_wait));
    }
  }
  mark();
  if (marked_count > 0) ApplyRetention(/*now_too=*/false);
  ReportCircuit();
  if (!ok || result.handled > 0) ReportLink(ok);
  std::lock_guard lock(mu_);
  ++stats_.rounds;
  stats_.delivered += marked_count;
  const PlatformClientStats cs = client_.stats();
  stats_.api_calls = cs.api_calls;
  stats_.connections_opened = cs.connections_opened;
  stats_.circuit = std::string(CircuitStateName(breaker_.state()));
  stats_.circuit_opened = breaker_.times_opened();
  if (!ok) {
    result.wait = std::chrono::duration_cast<milliseconds>(not_before_ - clock_.Now());
  }
  if (!marked.ok()) return marked;
  return result;
}

DeliveryStats DeliveryService::Counters() {
  std::lock_guard lock(mu_);
  return stats_;
}

DeliveryStats DeliveryService::Stats() {
  DeliveryStats out;
  {
    std::lock_guard lock(mu_);
    out = stats_;
  }
  if (auto s = outbox_.Stats(); s.ok()) {
    out.backlog_records = s->pending;
    out.backlog_bytes = s->pending_bytes;
    out.backlog_oldest_age_ms = s->oldest_pending_age_ms;
    out.parked_records = s->parked;
    out.outbox_accepting = s->accepting;
  }
  return out;
}

}  // namespace rvm::uplink
