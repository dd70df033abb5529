// Outbox: the durable queue between the machine's decisions and the platform.
//
// Append() returns only after the record is durable: its evidence image has
// been written to the spool and fsynced (file and directory) and then its row
// has been committed to SQLite in WAL mode with synchronous=FULL. A machine
// acknowledges an item only after Append succeeded, so an acknowledged deposit
// survives a process crash or power cut (docs/outbox.md gives the argument
// step by step). Appends from many threads are group-committed: while one
// transaction is being synced, later appends queue up and are committed
// together in the next, so throughput is far above one fsync per record.
//
// The item id is the idempotency key: appending an id already present stores
// nothing and returns the existing record's seq. seq increases with every new
// record, so a machine's records keep their order.
//
// Retention is bounded by OutboxOptions::quota_bytes. Evidence goes first,
// records never: when the outbox cannot store another record it stops
// accepting (accepting() == false) until room returns.
//
// Thread-safe: every method may be called from any thread; destroy the
// Outbox only after every call into it has returned. A directory is
// opened by one read-write Outbox at a time (an exclusive lock on LOCK);
// read-only instances may inspect it concurrently.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "outbox/env.h"
#include "outbox/outbox_options.h"
#include "outbox/record.h"
#include "outbox/space.h"

namespace rvm::outbox {

class SqliteDb;

struct Appended {
  int64_t seq = 0;
  bool already_present = false;  // the item id was appended before; nothing was stored
};

struct OutboxStats {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t parked = 0;
  int64_t pending_bytes = 0;          // payload + stored evidence of pending records
  int64_t oldest_pending_age_ms = 0;  // 0 when nothing is pending
  int64_t evidence_stored = 0;        // records whose image is in the spool
  int64_t evidence_dropped = 0;       // records whose image was dropped or lost
  bool accepting = true;
  // Why it is not accepting; empty while accepting. Out of room for records
  // (the quota or the reserve), the file system full (SQLITE_FULL), or a
  // failed commit (sticky until the outbox is reopened).
  std::string not_accepting_reason;
  int64_t bytes_used = 0;  // as charged against the quota (see space.h)
  int64_t quota_bytes = 0;
  int64_t group_commits = 0;  // transactions that committed appends, since open
  int64_t appended = 0;       // records appended since open (duplicates excluded)
};

struct ListFilter {
  std::optional<RecordState> state;  // all states when empty
  int64_t after_seq = 0;             // only records with seq > after_seq (paging)
  int limit = 100;
};

class Outbox {
 public:
  // Opens or creates the outbox in options.dir: takes the directory lock,
  // creates or checks the schema (a newer schema version is refused), then
  // recovers: removes spool files without a row (a crash between writing the
  // image and committing its row) and marks rows whose image is gone.
  static Result<std::unique_ptr<Outbox>> Open(const OutboxOptions& options, Env& env, Clock& clock);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Blocks until `record` is durable; returns its seq. ResourceExhausted when
  // the outbox is not accepting (quota or disk full): the item must not be
  // acknowledged. InvalidArgument for a malformed record. An I/O error
  // (IoError) is sticky: it and every later append fail until the outbox is
  // reopened. Such an error during the commit leaves the outcome unknown: the
  // record may be found after the reopen (docs/outbox.md, "A failed commit").
  Result<Appended> Append(const NewRecord& record);
  // Appends several records at once, for a caller that has them ready: their
  // images are written and synced together, then their rows join the group
  // commit queue as one run, so they commit in one transaction (split only
  // past max_group_commit) in the given order, possibly with other threads'
  // appends. Returns when every record is durable, one Appended per record in
  // order. Any record failing validation fails the call before anything is
  // stored (InvalidArgument naming its index); otherwise the records share
  // the fate of their transaction: all stored, or the error.
  Result<std::vector<Appended>> AppendBatch(std::span<const NewRecord> records);

  // True while a record would fit and no commit has failed; re-checked by
  // Append, RefreshSpace, Stats and every call that frees space. After a
  // failed commit (an I/O error) it stays false until the outbox is reopened;
  // Stats().not_accepting_reason says which.
  bool accepting() const;
  // Re-measures the space used and updates accepting(); call periodically
  // (e.g. from the health check) so the state clears when space returns.
  Status RefreshSpace();

  // Up to `limit` pending records, in seq order, whose next attempt is due
  // (next_attempt_ms <= now_ms).
  Result<std::vector<StoredRecord>> NextPending(int limit, int64_t now_ms);
  // Marks the records delivered in one transaction; unknown or already
  // delivered seqs are ignored.
  Status MarkDelivered(const std::vector<int64_t>& seqs);
  // Records a failed attempt: the record stays pending until next_attempt_ms.
  Status MarkRetry(int64_t seq, int64_t next_attempt_ms, const std::string& error);
  // Moves the record out of the delivery queue (the platform refused it for good).
  Status Park(int64_t seq, const std::string& error);
  // Moves every parked record back to pending, due now; returns how many.
  Result<int64_t> Replay();
  // Deletes delivered records (and their images) delivered at or before
  // `delivered_before_ms`; returns how many. Never touches undelivered records,
  // nor the ledger's open ends: a deposit whose session has no summary record
  // yet, or a summary while a deposit of its session remains.
  Result<int64_t> PurgeDelivered(int64_t delivered_before_ms);

  // The retention policy (OutboxOptions::retention_age, retention_high_water):
  // purges records delivered longer than retention_age ago, and every
  // delivered record when the outbox is above its high-water mark or not
  // accepting; returns how many went. PurgeDelivered's ledger rule holds.
  // The delivery service calls it after its rounds.
  Result<int64_t> ApplyRetention();

  // Deposit records whose session (the payload's session_id) has no summary
  // record (SessionRecordId) in the outbox, in seq order, in any delivery
  // state. At start these are the items of the sessions a previous run left
  // open (a crash, a power cut, a kill): the ledger rebuilds their summaries
  // from them (docs/outbox.md, "The ledger").
  Result<std::vector<StoredRecord>> DepositsOfUnclosedSessions();

  // The evidence image of a record, checked against its sha256. NotFound when
  // the record has none (never had, dropped or missing).
  Result<std::vector<uint8_t>> ReadEvidence(int64_t seq);
  Result<StoredRecord> Get(int64_t seq);
  Result<std::vector<StoredRecord>> List(const ListFilter& filter);
  Result<OutboxStats> Stats();

 private:
  struct Writer;
  Outbox(const OutboxOptions& options, Env& env, Clock& clock);
  Status Init();
  Status CreateOrCheckSchema();
  // The record counts of Stats(), on stats_db_.
  Status CountRecords(OutboxStats& stats);
  Status Recover();
  Status CheckWritable() const;
  // OK while accepting (re-measuring space once when not); else ResourceExhausted.
  Status CheckAccepting();
  // Queues `mine` for group commit and returns once all of them are committed,
  // leading commits while one of them is at the front of the queue.
  void CommitWriters(std::span<Writer> mine);
  // The group-commit leader's work: stores `batch` and fills in results.
  void CommitBatch(const std::vector<Writer*>& batch);
  void CommitBatchLocked(const std::vector<Writer*>& batch);
  // Writes (and with `sync`, fsyncs) the record's image under a temporary name
  // in the spool; returns the path, or empty when it could not be written.
  std::string WriteEvidenceTemp(const NewRecord& record, bool sync);
  // Threads that fsync a batch's images side by side.
  static constexpr size_t kBatchSyncThreads = 8;
  Status MeasureSpaceLocked(SpaceUsage* usage, SpaceLimits* limits);
  bool ShrinkWalLocked();
  Status FreeEvidenceLocked(int64_t bytes_needed, int64_t* freed);
  void UpdateAcceptingLocked(const SpaceUsage& usage, const SpaceLimits& limits);
  // OutboxStats::not_accepting_reason.
  std::string NotAcceptingReasonLocked() const;
  Status RunInTransactionLocked(const std::function<Status()>& body);
  Status DeleteSpoolFileLocked(const std::string& file);
  std::string SpoolPath(const std::string& file) const;

  const OutboxOptions options_;
  Env& env_;
  Clock& clock_;
  std::string db_path_;
  std::string spool_dir_;
  std::unique_ptr<FileLock> lock_;

  // Group commit queue: the writer at the front leads the next commit.
  std::mutex writers_mu_;
  std::deque<Writer*> writers_;  // guarded by writers_mu_

  // Serialises all use of the database connection and the counters below.
  mutable std::mutex db_mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by db_mu_
  int64_t spool_bytes_ = 0;       // guarded by db_mu_
  bool disk_full_ = false;        // guarded by db_mu_: SQLite reported SQLITE_FULL
  Status sticky_error_;           // guarded by db_mu_: a failure that needs a reopen
  int64_t group_commits_ = 0;     // guarded by db_mu_
  int64_t appended_ = 0;          // guarded by db_mu_
  SpaceUsage last_usage_;         // guarded by db_mu_
  SpaceLimits last_limits_;       // guarded by db_mu_
  // A second, read-only connection for Stats(): its scans of the records
  // (tens of ms with a backlog of 100,000) run on a WAL snapshot and neither
  // wait for nor hold up appends. Opened on first use; declared after db_,
  // so destroyed before it.
  std::mutex stats_mu_;
  std::unique_ptr<SqliteDb> stats_db_;  // guarded by stats_mu_
  std::atomic<bool> accepting_{true};
  std::atomic<uint64_t> tmp_counter_{0};  // makes temporary image names unique
};

}  // namespace rvm::outbox
