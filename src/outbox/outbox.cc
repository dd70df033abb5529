#include "outbox/outbox.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/sha256.h"
#include "outbox/sqlite_db.h"

namespace rvm::outbox {
namespace {

constexpr int64_t kSchemaVersion = 1;
constexpr char kDbName[] = "outbox.db";
constexpr char kSpoolName[] = "spool";
constexpr char kEvidenceSuffix[] = ".jpg";
constexpr char kTempSuffix[] = ".tmp";
constexpr int kBusyTimeoutMs = 5000;
constexpr int kShrinkWalWaitMs = 200;  // for readers before truncating a grown WAL

constexpr char kSchemaSql[] = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('deposit', 'session')),
  machine_id TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  payload TEXT NOT NULL,
  evidence_state TEXT NOT NULL CHECK (evidence_state IN ('none', 'stored', 'dropped', 'missing')),
  evidence_file TEXT,
  evidence_bytes INTEGER NOT NULL DEFAULT 0,
  evidence_sha256 TEXT,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'parked')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  delivered_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX records_pending ON records(seq) WHERE state = 'pending';
CREATE INDEX records_stored_evidence ON records(seq) WHERE evidence_state = 'stored';
CREATE INDEX records_delivered ON records(delivered_ms) WHERE state = 'delivered';
)sql";

constexpr char kColumns[] =
    "seq, item_id, kind, machine_id, created_ms, payload, evidence_state, evidence_file, "
    "evidence_bytes, evidence_sha256, state, attempts, next_attempt_ms, last_error, delivered_ms";

StoredRecord ReadRow(const SqliteStatement& s) {
  StoredRecord r;
  r.seq = s.ColumnInt(0);
  r.item_id = s.ColumnText(1);
  auto kind = ParseRecordKind(s.ColumnText(2));
  r.kind = kind.ok() ? *kind : RecordKind::kDeposit;
  r.machine_id = s.ColumnText(3);
  r.created_ms = s.ColumnInt(4);
  r.payload_json = s.ColumnText(5);
  auto evidence = ParseEvidenceState(s.ColumnText(6));
  r.evidence = evidence.ok() ? *evidence : EvidenceState::kNone;
  r.evidence_file = s.ColumnText(7);
  r.evidence_bytes = s.ColumnInt(8);
  r.evidence_sha256 = s.ColumnText(9);
  auto state = ParseRecordState(s.ColumnText(10));
  r.state = state.ok() ? *state : RecordState::kPending;
  r.attempts = s.ColumnInt(11);
  r.next_attempt_ms = s.ColumnInt(12);
  r.last_error = s.ColumnText(13);
  r.delivered_ms = s.ColumnInt(14);
  return r;
}

// Every row a prepared SELECT of kColumns returns, in its order.
Result<std::vector<StoredRecord>> ReadAllRows(SqliteStatement& select) {
  std::vector<StoredRecord> out;
  while (true) {
    auto row = select.Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(ReadRow(select));
  }
  return out;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string_view AsChars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Whether `db` holds the outbox's tables (its schema_version table).
Result<bool> HasOutboxSchema(SqliteDb& db) {
  auto tables = db.QueryInt(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!tables.ok()) return tables.status();
  return *tables > 0;
}

}  // namespace

std::string QuotaBytesProblem(const OutboxOptions& o) {
  const int64_t minimum = MinimumQuotaBytes(o);
  if (o.quota_bytes >= minimum) return "";
  return std::to_string(o.quota_bytes) + " is below the minimum " + std::to_string(minimum) +
         " (the WAL's " + std::to_string(o.wal_checkpoint_bytes) + " + the ledger's reserve " +
         std::to_string(o.reserve_bytes) + " + 64 KiB)";
}

struct Outbox::Writer {
  const NewRecord* record = nullptr;
  // The evidence image, written and fsynced by the appending thread itself so
  // that many images are synced in parallel; empty when there is none or the
  // write failed. The commit leader renames it into place or removes it.
  std::string evidence_tmp;
  std::string evidence_sha256;  // also computed by the appending thread
  std::optional<Result<Appended>> result;
  bool done = false;                      // guarded by writers_mu_
  std::condition_variable* cv = nullptr;  // the appending thread's; shared by a batch's writers
};

Outbox::Outbox(const OutboxOptions& options, Env& env, Clock& clock)
    : options_(options),
      env_(env),
      clock_(clock),
      db_path_(options.dir + "/" + kDbName),
      spool_dir_(options.dir + "/" + kSpoolName) {}

Outbox::~Outbox() = default;

Result<std::unique_ptr<Outbox>> Outbox::Open(const OutboxOptions& options, Env& env, Clock& clock) {
  if (options.dir.empty()) return InvalidArgument("outbox: dir is empty");
  const std::string name = "outbox '" + options.dir + "': ";
  if (options.max_group_commit < 1) {
    return InvalidArgument(name + "max_group_commit must be at least 1");
  }
  if (!(options.retention_high_water > 0 && options.retention_high_water <= 1) ||
      options.retention_age.count() < 0) {
    return InvalidArgument(name + "retention_high_water must be in (0, 1] and retention_age >= 0");
  }
  if (options.reserve_bytes < 0 || options.wal_checkpoint_bytes < 4096) {
    return InvalidArgument(name + "reserve_bytes must be >= 0 and wal_checkpoint_bytes >= 4096");
  }
  if (std::string problem = QuotaBytesProblem(options); !options.read_only && !problem.empty()) {
    return InvalidArgument(name + "quota_bytes " + problem);
  }
  std::unique_ptr<Outbox> outbox(new Outbox(options, env, clock));
  RVM_RETURN_IF_ERROR(outbox->Init());
  return outbox;
}

Status Outbox::Init() {
  const std::string name = "outbox '" + options_.dir + "': ";
  if (!options_.read_only && !options_.create_if_missing) {
    if (!env_.FileSize(db_path_).ok()) {
      return NotFound(name + "no " + kDbName + " (nothing has been recorded here)");
    }
    // A command that must not create an outbox looks before it writes: an
    // empty or foreign database gets no schema, spool/ or lock from it.
    auto peek = SqliteDb::Open(db_path_, /*read_only=*/true, /*create=*/false, options_.sqlite_vfs);
    if (!peek.ok()) return peek.status();
    auto schema = HasOutboxSchema(**peek);
    if (!schema.ok()) return schema.status();
    if (!*schema) return NotFound(name + kDbName + " holds no outbox schema");
  }
  if (!options_.read_only) {
    // A folder made here (spool/, the outbox's own, any missing parent) is
    // durable only once its entry in its parent is: sync each such parent,
    // top down, after making them.
    std::vector<std::filesystem::path> made;
    std::error_code ec;
    for (std::filesystem::path p = std::filesystem::path(spool_dir_).lexically_normal();
         !p.empty() && p != p.parent_path() && !std::filesystem::exists(p, ec);
         p = p.parent_path()) {
      made.push_back(p);
    }
    RVM_RETURN_IF_ERROR(env_.CreateDir(spool_dir_));
    for (auto it = made.rbegin(); it != made.rend(); ++it) {
      const std::filesystem::path parent = it->parent_path();
      RVM_RETURN_IF_ERROR(env_.SyncDir(parent.empty() ? "." : parent.string()));
    }
    auto lock = env_.LockFile(options_.dir + "/LOCK");
    if (!lock.ok()) return Status(lock.status().code(), name + lock.status().message());
    lock_ = std::move(*lock);
  } else if (!env_.FileSize(db_path_).ok()) {
    return NotFound(name + "no " + kDbName + " (nothing has been recorded here)");
  }
  auto db = SqliteDb::Open(db_path_, options_.read_only, /*create=*/true, options_.sqlite_vfs);
  if (!db.ok()) return db.status();
  std::lock_guard l(db_mu_);
  db_ = std::move(*db);
  RVM_RETURN_IF_ERROR(db_->Exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs)));
  if (!options_.read_only) {
    auto mode = db_->QueryText("PRAGMA journal_mode = WAL");
    if (!mode.ok()) return mode.status();
    if (*mode != "wal") return IoError(name + "cannot switch the database to WAL mode");
    int64_t pages = std::max<int64_t>(1, options_.wal_checkpoint_bytes / 4096);
    RVM_RETURN_IF_ERROR(db_->Exec(
        "PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = " + std::to_string(pages) +
        "; PRAGMA journal_size_limit = " + std::to_string(options_.wal_checkpoint_bytes)));
  }
  RVM_RETURN_IF_ERROR(CreateOrCheckSchema());
  if (options_.read_only) {
    // No recovery (the writer owns the spool): charge what the rows say.
    auto spool = db_->QueryInt(
        "SELECT COALESCE(SUM(evidence_bytes), 0) FROM records WHERE evidence_state = 'stored'");
    if (!spool.ok()) return spool.status();
    spool_bytes_ = *spool;
  } else {
    // SQLite syncs the directory entry of its WAL but not of a newly created
    // database file; spool/ is new too on first open.
    RVM_RETURN_IF_ERROR(env_.SyncDir(options_.dir));
    RVM_RETURN_IF_ERROR(Recover());
  }
  SpaceUsage usage;
  SpaceLimits limits;
  RVM_RETURN_IF_ERROR(MeasureSpaceLocked(&usage, &limits));
  UpdateAcceptingLocked(usage, limits);
  return Status::Ok();
}

Status Outbox::CreateOrCheckSchema() {
  const std::string name = "outbox '" + options_.dir + "': ";
  auto schema = HasOutboxSchema(*db_);
  if (!schema.ok()) return schema.status();
  if (!*schema) {
    if (options_.read_only) return NotFound(name + kDbName + " holds no outbox schema");
    // Another program's database is not made an outbox by adding tables to it.
    auto others =
        db_->QueryInt("SELECT COUNT(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
    if (!others.ok()) return others.status();
    if (*others > 0) {
      return InvalidArgument(name + kDbName + " holds " + std::to_string(*others) +
                             " tables or indexes but no outbox schema: it is another "
                             "database; move it aside or point outbox.dir elsewhere");
    }
    return RunInTransactionLocked([&]() -> Status {
      RVM_RETURN_IF_ERROR(db_->Exec(kSchemaSql));
      return db_->Exec("INSERT INTO schema_version VALUES (" + std::to_string(kSchemaVersion) +
                       ")");
    });
  }
  auto version = db_->QueryInt("SELECT MAX(version) FROM schema_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Unsupported(name + "schema version " + std::to_string(*version) +
                       " is newer than this build supports (" + std::to_string(kSchemaVersion) +
                       "); run a newer rvm-edge or move the outbox aside");
  }
  return Status::Ok();
}

Status Outbox::Recover() {
  auto names = env_.ListDir(spool_dir_);
  if (!names.ok()) return names.status();
  auto lookup = db_->Prepare("SELECT evidence_state FROM records WHERE item_id = ?");
  if (!lookup.ok()) return lookup.status();
  std::set<std::string> present;
  bool removed = false;
  for (const std::string& file : *names) {
    bool keep = false;
    if (EndsWith(file, kEvidenceSuffix)) {
      lookup->BindText(1, file.substr(0, file.size() - (sizeof(kEvidenceSuffix) - 1)));
      auto row = lookup->Step();
      if (!row.ok()) return row.status();
      keep = *row && lookup->ColumnText(0) == "stored";
      lookup->Reset();
    }
    if (keep) {
      present.insert(file);
      auto size = env_.FileSize(SpoolPath(file));
      if (size.ok()) spool_bytes_ += static_cast<int64_t>(*size);
    } else {
      // A temporary file, or an image whose row never committed: the item was
      // never acknowledged, so its image is not needed.
      RVM_RETURN_IF_ERROR(env_.RemoveFile(SpoolPath(file)));
      removed = true;
    }
  }
  if (removed) RVM_RETURN_IF_ERROR(env_.SyncDir(spool_dir_));

  std::vector<int64_t> missing;
  {
    auto stored =
        db_->Prepare("SELECT seq, evidence_file FROM records WHERE evidence_state = 'stored'");
    if (!stored.ok()) return stored.status();
    while (true) {
      auto row = stored->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (!present.contains(stored->ColumnText(1))) missing.push_back(stored->ColumnInt(0));
    }
  }
  if (missing.empty()) return Status::Ok();
  return RunInTransactionLocked([&]() -> Status {
    auto mark = db_->Prepare("UPDATE records SET evidence_state = 'missing' WHERE seq = ?");
    if (!mark.ok()) return mark.status();
    for (int64_t seq : missing) {
      mark->BindInt(1, seq);
      RVM_RETURN_IF_ERROR(mark->Run());
    }
    return Status::Ok();
  });
}

Status Outbox::CheckWritable() const {
  if (options_.read_only) {
    return InvalidArgument("outbox '" + options_.dir + "': opened read-only");
  }
  return Status::Ok();
}

std::string Outbox::SpoolPath(const std::string& file) const { return spool_dir_ + "/" + file; }

Status Outbox::RunInTransactionLocked(const std::function<Status()>& body) {
  RVM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status s = body();
  if (s.ok()) s = db_->Exec("COMMIT");
  if (!s.ok() && sqlite3_get_autocommit(db_->raw()) == 0) (void)db_->Exec("ROLLBACK");
  return s;
}

Status Outbox::MeasureSpaceLocked(SpaceUsage* usage, SpaceLimits* limits) {
  auto db_size = env_.FileSize(db_path_);
  usage->db_bytes = db_size.ok() ? static_cast<int64_t>(*db_size) : 0;
  auto wal_size = env_.FileSize(db_path_ + "-wal");
  usage->wal_bytes = std::max<int64_t>(wal_size.ok() ? static_cast<int64_t>(*wal_size) : 0,
                                       options_.wal_checkpoint_bytes);
  auto free_pages = db_->QueryInt("PRAGMA freelist_count");
  if (!free_pages.ok()) return free_pages.status();
  auto page_size = db_->QueryInt("PRAGMA page_size");
  if (!page_size.ok()) return page_size.status();
  usage->db_free_bytes = *free_pages * *page_size;
  usage->spool_bytes = spool_bytes_;
  limits->quota_bytes = options_.quota_bytes;
  auto free_bytes = env_.FreeBytes(options_.dir);
  if (!free_bytes.ok()) return free_bytes.status();
  limits->disk_free_bytes = static_cast<int64_t>(std::min<uint64_t>(*free_bytes, INT64_MAX));
  last_usage_ = *usage;
  last_limits_ = *limits;
  return Status::Ok();
}

void Outbox::UpdateAcceptingLocked(const SpaceUsage& usage, const SpaceLimits& limits) {
  // SQLITE_FULL came from the file system; believe it gone once the file
  // system reports room for the reserve again (the next commit re-checks).
  if (disk_full_ && limits.disk_free_bytes >= options_.reserve_bytes) disk_full_ = false;
  // A failed commit refuses every append until the outbox is reopened.
  accepting_ =
      sticky_error_.ok() && !disk_full_ && HasRoomToAccept(usage, limits, options_.reserve_bytes);
}

std::string Outbox::NotAcceptingReasonLocked() const {
  if (accepting_.load()) return {};
  if (!sticky_error_.ok()) {
    return "a commit failed (" + sticky_error_.message() +
           "); nothing is appended until the outbox is reopened (restart the service)";
  }
  if (disk_full_) return "the file system is full";
  return "out of room for records (" +
         std::to_string(std::max<int64_t>(0, RoomForRecords(last_usage_, last_limits_))) +
         " bytes left, reserve " + std::to_string(options_.reserve_bytes) + ", quota " +
         std::to_string(options_.quota_bytes) + ")";
}

bool Outbox::accepting() const { return accepting_.load(); }

// The WAL outgrows its checkpoint size when a reader (the statistics
// connection) holds a snapshot while records are committed: the automatic
// checkpoint cannot restart it, and SQLite only trims it at the next restart.
// Where room is short and the WAL is well past its size, checkpoint it fully
// and truncate it now rather than charge the bloat against the quota. Waits
// for readers briefly (statistics queries take milliseconds), never for
// the full busy timeout; returns whether the WAL was truncated.
bool Outbox::ShrinkWalLocked() {
  if (options_.read_only) return false;
  auto wal_size = env_.FileSize(db_path_ + "-wal");
  if (!wal_size.ok() || static_cast<int64_t>(*wal_size) <= 2 * options_.wal_checkpoint_bytes) {
    return false;
  }
  sqlite3_busy_timeout(db_->raw(), kShrinkWalWaitMs);
  const int rc = sqlite3_wal_checkpoint_v2(db_->raw(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                           nullptr, nullptr);
  sqlite3_busy_timeout(db_->raw(), kBusyTimeoutMs);
  return rc == SQLITE_OK;
}

Status Outbox::RefreshSpace() {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  ShrinkWalLocked();
  SpaceUsage usage;
  SpaceLimits limits;
  RVM_RETURN_IF_ERROR(MeasureSpaceLocked(&usage, &limits));
  UpdateAcceptingLocked(usage, limits);
  return Status::Ok();
}

Status Outbox::DeleteSpoolFileLocked(const std::string& file) {
  Status s = env_.RemoveFile(SpoolPath(file));
  if (s.code() == StatusCode::kNotFound) return Status::Ok();
  return s;
}

Status Outbox::FreeEvidenceLocked(int64_t bytes_needed, int64_t* freed) {
  // Delivered records' images go first; then undelivered ones, oldest first.
  for (const char* which : {"state = 'delivered'", "state != 'delivered'"}) {
    while (*freed < bytes_needed) {
      auto select =
          db_->Prepare(std::string("SELECT seq, evidence_file, evidence_bytes FROM records "
                                   "WHERE evidence_state = 'stored' AND ") +
                       which + " ORDER BY seq LIMIT 64");
      if (!select.ok()) return select.status();
      std::vector<std::pair<int64_t, std::string>> victims;
      int64_t bytes = 0;
      while (*freed + bytes < bytes_needed) {
        auto row = select->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        victims.emplace_back(select->ColumnInt(0), select->ColumnText(1));
        bytes += select->ColumnInt(2);
      }
      if (victims.empty()) break;
      // The rows say "dropped" before the files go: a crash in between leaves
      // files without a "stored" row, which recovery removes.
      RVM_RETURN_IF_ERROR(RunInTransactionLocked([&]() -> Status {
        auto mark = db_->Prepare("UPDATE records SET evidence_state = 'dropped' WHERE seq = ?");
        if (!mark.ok()) return mark.status();
        for (const auto& victim : victims) {
          mark->BindInt(1, victim.first);
          RVM_RETURN_IF_ERROR(mark->Run());
        }
        return Status::Ok();
      }));
      for (const auto& victim : victims) RVM_RETURN_IF_ERROR(DeleteSpoolFileLocked(victim.second));
      spool_bytes_ -= bytes;
      *freed += bytes;
    }
  }
  return Status::Ok();
}

std::string Outbox::WriteEvidenceTemp(const NewRecord& record, bool sync) {
  std::string tmp = SpoolPath(record.item_id + kEvidenceSuffix + "." +
                              std::to_string(tmp_counter_.fetch_add(1)) + kTempSuffix);
  Status s = env_.WriteFile(tmp, AsChars(record.evidence_jpeg));
  if (s.ok() && sync) s = env_.SyncFile(tmp);
  if (s.ok()) return tmp;
  (void)env_.RemoveFile(tmp);
  return {};  // the record will be stored with its evidence marked dropped
}

Status Outbox::CheckAccepting() {
  if (accepting_.load()) return Status::Ok();
  // Fail fast, before writing an image into a full disk.
  RVM_RETURN_IF_ERROR(RefreshSpace());
  if (accepting_.load()) return Status::Ok();
  std::lock_guard l(db_mu_);
  if (!sticky_error_.ok()) return sticky_error_;
  return ResourceExhausted("outbox '" + options_.dir +
                           "': not accepting: " + NotAcceptingReasonLocked());
}

Result<Appended> Outbox::Append(const NewRecord& record) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  RVM_RETURN_IF_ERROR(ValidateNewRecord(record));
  // A session summary credits items already taken: it may use the reserve.
  if (record.kind != RecordKind::kSession) RVM_RETURN_IF_ERROR(CheckAccepting());
  Writer self;
  self.record = &record;
  if (!record.evidence_jpeg.empty()) {
    self.evidence_sha256 = Sha256Hex(AsChars(record.evidence_jpeg));
    self.evidence_tmp = WriteEvidenceTemp(record, /*sync=*/true);
  }
  CommitWriters({&self, 1});
  return std::move(*self.result);
}

Result<std::vector<Appended>> Outbox::AppendBatch(std::span<const NewRecord> records) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  if (records.empty()) return std::vector<Appended>{};
  for (size_t i = 0; i < records.size(); ++i) {
    if (Status s = ValidateNewRecord(records[i]); !s.ok()) {
      return Status(s.code(), "record " + std::to_string(i) + " of the batch: " + s.message());
    }
  }
  RVM_RETURN_IF_ERROR(CheckAccepting());
  std::vector<Writer> writers(records.size());
  std::vector<size_t> with_images;
  for (size_t i = 0; i < records.size(); ++i) {
    writers[i].record = &records[i];
    if (records[i].evidence_jpeg.empty()) continue;
    writers[i].evidence_sha256 = Sha256Hex(AsChars(records[i].evidence_jpeg));
    writers[i].evidence_tmp = WriteEvidenceTemp(records[i], /*sync=*/false);
    if (!writers[i].evidence_tmp.empty()) with_images.push_back(i);
  }
  // The images' fsyncs overlap, as those of concurrent Append calls do; the
  // file system folds them into few journal commits.
  const size_t threads = std::min<size_t>(with_images.size(), kBatchSyncThreads);
  auto sync_share = [&](size_t first) {
    for (size_t k = first; k < with_images.size(); k += threads) {
      std::string& tmp = writers[with_images[k]].evidence_tmp;
      if (!env_.SyncFile(tmp).ok()) {
        (void)env_.RemoveFile(tmp);
        tmp.clear();  // stored with its evidence marked dropped, as in Append
      }
    }
  };
  std::vector<std::thread> syncers;
  for (size_t t = 1; t < threads; ++t) syncers.emplace_back(sync_share, t);
  if (threads > 0) sync_share(0);
  for (auto& t : syncers) t.join();

  CommitWriters(writers);
  std::vector<Appended> out;
  out.reserve(writers.size());
  for (Writer& w : writers) {
    if (!w.result->ok()) return w.result->status();
    out.push_back(**w.result);
  }
  return out;
}

void Outbox::CommitWriters(std::span<Writer> mine) {
  std::condition_variable cv;
  auto is_mine = [&](const Writer* w) { return w >= mine.data() && w < mine.data() + mine.size(); };
  std::unique_lock l(writers_mu_);
  for (Writer& w : mine) {
    w.cv = &cv;
    writers_.push_back(&w);
  }
  while (true) {
    cv.wait(l, [&] { return mine.back().done || is_mine(writers_.front()); });
    if (mine.back().done) return;  // writers commit in queue order: all of mine are done

    // This thread leads the next group commit.
    if (options_.group_commit_window.count() > 0 &&
        writers_.size() < static_cast<size_t>(options_.max_group_commit)) {
      l.unlock();
      std::this_thread::sleep_for(options_.group_commit_window);
      l.lock();
    }
    size_t n = std::min(writers_.size(), static_cast<size_t>(options_.max_group_commit));
    std::vector<Writer*> batch(writers_.begin(), writers_.begin() + static_cast<ptrdiff_t>(n));
    l.unlock();
    CommitBatch(batch);
    l.lock();
    for (size_t i = 0; i < n; ++i) writers_.pop_front();
    for (Writer* w : batch) {
      w->done = true;
      if (!is_mine(w)) w->cv->notify_one();
    }
    if (!writers_.empty()) writers_.front()->cv->notify_one();
  }
}

void Outbox::CommitBatch(const std::vector<Writer*>& batch) {
  std::lock_guard l(db_mu_);
  CommitBatchLocked(batch);
  // Images not renamed into place (duplicates, dropped, failed commits).
  for (Writer* w : batch) {
    if (!w->evidence_tmp.empty()) (void)env_.RemoveFile(w->evidence_tmp);
  }
}

void Outbox::CommitBatchLocked(const std::vector<Writer*>& batch) {
  auto fail_all = [&](const Status& s) {
    for (Writer* w : batch) {
      if (!w->result) w->result = s;
    }
  };
  if (!sticky_error_.ok()) return fail_all(sticky_error_);

  // 1. Idempotency: ids already stored answer with their seq; a repeat inside
  // the batch answers with the seq of its first occurrence, after the commit.
  std::vector<size_t> fresh;
  std::unordered_map<std::string, size_t> first_in_batch;
  std::vector<std::optional<size_t>> repeat_of(batch.size());
  {
    auto lookup = db_->Prepare("SELECT seq FROM records WHERE item_id = ?");
    if (!lookup.ok()) return fail_all(lookup.status());
    for (size_t i = 0; i < batch.size(); ++i) {
      const std::string& id = batch[i]->record->item_id;
      if (auto it = first_in_batch.find(id); it != first_in_batch.end()) {
        repeat_of[i] = it->second;
        continue;
      }
      lookup->BindText(1, id);
      auto row = lookup->Step();
      if (!row.ok()) return fail_all(row.status());
      if (*row) {
        batch[i]->result = Appended{lookup->ColumnInt(0), true};
      } else {
        first_in_batch.emplace(id, i);
        fresh.push_back(i);
      }
      lookup->Reset();
    }
  }
  if (fresh.empty()) return;  // every record was already stored

  // 2. Space: make room by dropping evidence, never records.
  SpaceUsage usage;
  SpaceLimits limits;
  if (Status s = MeasureSpaceLocked(&usage, &limits); !s.ok()) return fail_all(s);
  UpdateAcceptingLocked(usage, limits);
  int64_t record_bytes = 0;
  int64_t evidence_bytes = 0;
  std::vector<bool> keep_evidence(batch.size(), false);
  for (size_t i : fresh) {
    const NewRecord& r = *batch[i]->record;
    record_bytes += EstimateRowBytes(static_cast<int64_t>(r.payload_json.size()),
                                     static_cast<int64_t>(r.item_id.size() + r.machine_id.size()));
    evidence_bytes += static_cast<int64_t>(r.evidence_jpeg.size());
    keep_evidence[i] = !batch[i]->evidence_tmp.empty();
  }
  auto refuse = [&]() {
    accepting_ = false;
    fail_all(ResourceExhausted(
        "outbox '" + options_.dir +
        "': not accepting: " + std::to_string(std::max<int64_t>(0, RoomForRecords(usage, limits))) +
        " bytes left for records, reserve is " + std::to_string(options_.reserve_bytes) +
        " (quota " + std::to_string(options_.quota_bytes) + ")"));
  };
  if ((!accepting_ || EvidenceBytesToFree(usage, limits, record_bytes, evidence_bytes) > 0) &&
      ShrinkWalLocked()) {
    if (Status s = MeasureSpaceLocked(&usage, &limits); !s.ok()) return fail_all(s);
    UpdateAcceptingLocked(usage, limits);
  }
  // The reserve is the ledger's: while the outbox refuses new items, the
  // summaries of the items it took are still written, for as long as their
  // rows fit in the room left for records.
  const bool ledger_only = std::all_of(fresh.begin(), fresh.end(), [&](size_t i) {
    return batch[i]->record->kind == RecordKind::kSession;
  });
  if (!accepting_ && !(ledger_only && record_bytes <= RoomForRecords(usage, limits))) {
    return refuse();
  }
  if (int64_t need = EvidenceBytesToFree(usage, limits, record_bytes, evidence_bytes); need > 0) {
    int64_t freed = 0;
    if (Status s = FreeEvidenceLocked(need, &freed); !s.ok()) return fail_all(s);
    if (Status s = MeasureSpaceLocked(&usage, &limits); !s.ok()) return fail_all(s);
    // Still short: the batch's own images go, oldest first.
    for (size_t i : fresh) {
      if (EvidenceBytesToFree(usage, limits, record_bytes, evidence_bytes) == 0) break;
      if (!keep_evidence[i]) continue;
      keep_evidence[i] = false;
      evidence_bytes -= static_cast<int64_t>(batch[i]->record->evidence_jpeg.size());
    }
    if (record_bytes > RoomNow(usage, limits)) return refuse();
  }

  // 3. Evidence first: its contents were synced by the appending thread; the
  // rename into place is made durable (directory fsync, once per batch) before
  // any row refers to it. An image that cannot be stored is dropped, not the
  // record.
  std::vector<std::string> written;
  for (size_t i : fresh) {
    if (!keep_evidence[i]) continue;
    std::string file = batch[i]->record->item_id + kEvidenceSuffix;
    if (env_.RenameFile(batch[i]->evidence_tmp, SpoolPath(file)).ok()) {
      batch[i]->evidence_tmp.clear();
      written.push_back(file);
    } else {
      keep_evidence[i] = false;
    }
  }
  if (!written.empty() && !env_.SyncDir(spool_dir_).ok()) {
    for (const std::string& file : written) (void)DeleteSpoolFileLocked(file);
    written.clear();
    for (size_t i : fresh) keep_evidence[i] = false;
  }

  // 4. Rows, in one transaction: one WAL fsync for the whole batch.
  int64_t now_ms = clock_.WallMillis();
  std::vector<int64_t> seqs(batch.size(), 0);
  int64_t stored_bytes = 0;
  Status s = RunInTransactionLocked([&]() -> Status {
    auto insert = db_->Prepare(
        "INSERT INTO records (item_id, kind, machine_id, created_ms, payload, evidence_state, "
        "evidence_file, evidence_bytes, evidence_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!insert.ok()) return insert.status();
    for (size_t i : fresh) {
      const NewRecord& r = *batch[i]->record;
      insert->BindText(1, r.item_id);
      insert->BindText(2, RecordKindName(r.kind));
      insert->BindText(3, r.machine_id);
      insert->BindInt(4, now_ms);
      insert->BindText(5, r.payload_json);
      if (r.evidence_jpeg.empty()) {
        insert->BindText(6, "none");
        insert->BindNull(7);
        insert->BindInt(8, 0);
        insert->BindNull(9);
      } else {
        insert->BindText(6, keep_evidence[i] ? "stored" : "dropped");
        if (keep_evidence[i]) {
          insert->BindText(7, r.item_id + kEvidenceSuffix);
          stored_bytes += static_cast<int64_t>(r.evidence_jpeg.size());
        } else {
          insert->BindNull(7);
        }
        insert->BindInt(8, static_cast<int64_t>(r.evidence_jpeg.size()));
        insert->BindText(9, batch[i]->evidence_sha256);
      }
      RVM_RETURN_IF_ERROR(insert->Run());
      seqs[i] = sqlite3_last_insert_rowid(db_->raw());
    }
    return Status::Ok();
  });
  if (!s.ok()) {
    if (s.code() == StatusCode::kResourceExhausted || s.code() == StatusCode::kUnavailable) {
      // SQLITE_FULL (a WAL write ran out of room) or SQLITE_BUSY (BEGIN
      // found the database locked): the transaction did not commit, so no
      // row refers to the batch's images.
      for (const std::string& file : written) (void)DeleteSpoolFileLocked(file);
      if (s.code() == StatusCode::kResourceExhausted) {
        disk_full_ = true;
        accepting_ = false;
      }
    } else {
      // An I/O error during the transaction, perhaps while its COMMIT was
      // being synced: the WAL may hold the commit, and reopening may replay
      // it. The connection's state is unknown, so nothing more is appended
      // until the outbox is reopened (sticky, and not accepting). The images
      // stay: a row that comes back refers to its image, and recovery on
      // open removes every image whose row did not.
      sticky_error_ = s;
      accepting_ = false;
    }
    return fail_all(s);
  }
  spool_bytes_ += stored_bytes;
  appended_ += static_cast<int64_t>(fresh.size());
  ++group_commits_;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i]->result) continue;
    if (repeat_of[i]) {
      batch[i]->result = Appended{seqs[*repeat_of[i]], true};
    } else {
      batch[i]->result = Appended{seqs[i], false};
    }
  }
  if (MeasureSpaceLocked(&usage, &limits).ok()) UpdateAcceptingLocked(usage, limits);
}

Result<std::vector<StoredRecord>> Outbox::NextPending(int limit, int64_t now_ms) {
  std::lock_guard l(db_mu_);
  // Head of line: the oldest pending records, up to the first one that is
  // not due yet. A record waiting for its retry holds back the ones behind
  // it, so the platform receives them in order, across restarts too.
  auto select = db_->Prepare(std::string("SELECT ") + kColumns +
                             " FROM records WHERE state = 'pending' ORDER BY seq LIMIT ?");
  if (!select.ok()) return select.status();
  select->BindInt(1, limit);
  std::vector<StoredRecord> out;
  while (true) {
    auto row = select->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    StoredRecord record = ReadRow(*select);
    if (record.next_attempt_ms > now_ms) break;
    out.push_back(std::move(record));
  }
  return out;
}

// A deposit's session is closed once the outbox holds its summary record.
// (SQL over the deposit row `d`; see SessionRecordId.)
static std::string SessionClosedSql() {
  return "EXISTS (SELECT 1 FROM records s WHERE s.item_id = '" + std::string(kSessionRecordPrefix) +
         "' || json_extract(d.payload, '$.session_id'))";
}

Result<std::vector<StoredRecord>> Outbox::DepositsOfUnclosedSessions() {
  std::lock_guard l(db_mu_);
  auto select = db_->Prepare(std::string("SELECT ") + kColumns +
                             " FROM records d WHERE d.kind = 'deposit' AND json_valid(d.payload) "
                             "AND json_extract(d.payload, '$.session_id') IS NOT NULL AND NOT " +
                             SessionClosedSql() + " ORDER BY d.seq");
  if (!select.ok()) return select.status();
  return ReadAllRows(*select);
}

Status Outbox::MarkDelivered(const std::vector<int64_t>& seqs) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  int64_t now_ms = clock_.WallMillis();
  return RunInTransactionLocked([&]() -> Status {
    auto update = db_->Prepare(
        "UPDATE records SET state = 'delivered', delivered_ms = ?, attempts = attempts + 1, "
        "last_error = '' WHERE seq = ? AND state != 'delivered'");
    if (!update.ok()) return update.status();
    for (int64_t seq : seqs) {
      update->BindInt(1, now_ms);
      update->BindInt(2, seq);
      RVM_RETURN_IF_ERROR(update->Run());
    }
    return Status::Ok();
  });
}

Status Outbox::MarkRetry(int64_t seq, int64_t next_attempt_ms, const std::string& error) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  auto update = db_->Prepare(
      "UPDATE records SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? "
      "WHERE seq = ? AND state = 'pending'");
  if (!update.ok()) return update.status();
  update->BindInt(1, next_attempt_ms);
  update->BindText(2, error);
  update->BindInt(3, seq);
  RVM_RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->raw()) == 0) {
    return NotFound("outbox record " + std::to_string(seq) + ": no such pending record");
  }
  return Status::Ok();
}

Status Outbox::Park(int64_t seq, const std::string& error) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  auto update = db_->Prepare(
      "UPDATE records SET state = 'parked', attempts = attempts + 1, last_error = ? "
      "WHERE seq = ? AND state = 'pending'");
  if (!update.ok()) return update.status();
  update->BindText(1, error);
  update->BindInt(2, seq);
  RVM_RETURN_IF_ERROR(update->Run());
  if (sqlite3_changes(db_->raw()) == 0) {
    return NotFound("outbox record " + std::to_string(seq) + ": no such pending record");
  }
  return Status::Ok();
}

Result<int64_t> Outbox::Replay() {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  RVM_RETURN_IF_ERROR(db_->Exec(
      "UPDATE records SET state = 'pending', next_attempt_ms = 0 WHERE state = 'parked'"));
  return static_cast<int64_t>(sqlite3_changes(db_->raw()));
}

Result<int64_t> Outbox::PurgeDelivered(int64_t delivered_before_ms) {
  RVM_RETURN_IF_ERROR(CheckWritable());
  std::lock_guard l(db_mu_);
  std::vector<std::pair<std::string, int64_t>> files;
  int64_t purged = 0;
  Status s = RunInTransactionLocked([&]() -> Status {
    // The ledger's rule: a deposit stays while its session has no summary
    // record (a restart rebuilds the summary from it), and a summary stays
    // while any deposit of its session does (else that deposit would look
    // unclosed and its session would be summarised a second time).
    const std::string purgeable =
        std::string("d.state = 'delivered' AND d.delivered_ms <= ?1 AND (d.kind = 'session' OR "
                    "NOT json_valid(d.payload) OR json_extract(d.payload, '$.session_id') IS NULL "
                    "OR ") +
        SessionClosedSql() + ")";
    auto select = db_->Prepare(
        "SELECT d.evidence_file, d.evidence_bytes FROM records d WHERE d.kind = 'deposit' AND "
        "d.evidence_state = 'stored' AND " +
        purgeable);
    if (!select.ok()) return select.status();
    select->BindInt(1, delivered_before_ms);
    while (true) {
      auto row = select->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      files.emplace_back(select->ColumnText(0), select->ColumnInt(1));
    }
    auto remove_deposits = db_->Prepare(
        "DELETE FROM records WHERE seq IN (SELECT d.seq FROM records d WHERE d.kind = 'deposit' "
        "AND " +
        purgeable + ")");
    if (!remove_deposits.ok()) return remove_deposits.status();
    remove_deposits->BindInt(1, delivered_before_ms);
    RVM_RETURN_IF_ERROR(remove_deposits->Run());
    purged = sqlite3_changes(db_->raw());
    auto remove_sessions = db_->Prepare(
        "DELETE FROM records WHERE kind = 'session' AND state = 'delivered' AND "
        "delivered_ms <= ?1 AND item_id NOT IN (SELECT '" +
        std::string(kSessionRecordPrefix) +
        "' || json_extract(x.payload, '$.session_id') FROM records x WHERE x.kind = 'deposit' "
        "AND json_valid(x.payload) AND json_extract(x.payload, '$.session_id') IS NOT NULL)");
    if (!remove_sessions.ok()) return remove_sessions.status();
    remove_sessions->BindInt(1, delivered_before_ms);
    RVM_RETURN_IF_ERROR(remove_sessions->Run());
    purged += sqlite3_changes(db_->raw());
    return Status::Ok();
  });
  RVM_RETURN_IF_ERROR(s);
  for (const auto& [file, bytes] : files) {
    RVM_RETURN_IF_ERROR(DeleteSpoolFileLocked(file));
    spool_bytes_ -= bytes;
  }
  if (!files.empty()) RVM_RETURN_IF_ERROR(env_.SyncDir(spool_dir_));
  ShrinkWalLocked();
  SpaceUsage usage;
  SpaceLimits limits;
  RVM_RETURN_IF_ERROR(MeasureSpaceLocked(&usage, &limits));
  UpdateAcceptingLocked(usage, limits);
  return purged;
}

Result<int64_t> Outbox::ApplyRetention() {
  RVM_RETURN_IF_ERROR(CheckWritable());
  const int64_t now = clock_.WallMillis();
  auto purged = PurgeDelivered(now - options_.retention_age.count());
  if (!purged.ok()) return purged.status();
  bool short_of_room = !accepting_.load();
  {
    std::lock_guard l(db_mu_);
    SpaceUsage usage;
    SpaceLimits limits;
    RVM_RETURN_IF_ERROR(MeasureSpaceLocked(&usage, &limits));
    short_of_room = short_of_room || static_cast<double>(usage.UsedBytes()) >
                                         options_.retention_high_water * options_.quota_bytes;
  }
  if (!short_of_room) return *purged;
  auto all = PurgeDelivered(now);
  if (!all.ok()) return all.status();
  return *purged + *all;
}

Result<StoredRecord> Outbox::Get(int64_t seq) {
  std::lock_guard l(db_mu_);
  auto select = db_->Prepare(std::string("SELECT ") + kColumns + " FROM records WHERE seq = ?");
  if (!select.ok()) return select.status();
  select->BindInt(1, seq);
  auto row = select->Step();
  if (!row.ok()) return row.status();
  if (!*row) return NotFound("outbox record " + std::to_string(seq) + ": no such record");
  return ReadRow(*select);
}

Result<std::vector<uint8_t>> Outbox::ReadEvidence(int64_t seq) {
  auto record = Get(seq);
  if (!record.ok()) return record.status();
  const std::string what = "evidence of outbox record " + std::to_string(seq);
  if (record->evidence != EvidenceState::kStored) {
    return NotFound(what + ": " + std::string(EvidenceStateName(record->evidence)));
  }
  auto bytes = env_.ReadFile(SpoolPath(record->evidence_file));
  if (!bytes.ok()) return Status(bytes.status().code(), what + ": " + bytes.status().message());
  std::string_view view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  if (Sha256Hex(view) != record->evidence_sha256) {
    return IoError(what + " ('" + record->evidence_file + "'): sha256 mismatch, file is corrupt");
  }
  return bytes;
}

Result<std::vector<StoredRecord>> Outbox::List(const ListFilter& filter) {
  std::lock_guard l(db_mu_);
  std::string sql = std::string("SELECT ") + kColumns + " FROM records WHERE seq > ?";
  if (filter.state) sql += " AND state = ?";
  sql += " ORDER BY seq LIMIT ?";
  auto select = db_->Prepare(sql);
  if (!select.ok()) return select.status();
  int index = 1;
  select->BindInt(index++, filter.after_seq);
  if (filter.state) select->BindText(index++, RecordStateName(*filter.state));
  select->BindInt(index, filter.limit);
  return ReadAllRows(*select);
}

// In one read transaction (one consistent snapshot) on the statistics
// connection, without db_mu_.
Status Outbox::CountRecords(OutboxStats& stats) {
  std::lock_guard s(stats_mu_);
  if (!stats_db_) {
    auto opened =
        SqliteDb::Open(db_path_, /*read_only=*/true, /*create=*/false, options_.sqlite_vfs);
    if (!opened.ok()) return opened.status();
    RVM_RETURN_IF_ERROR((*opened)->Exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs)));
    stats_db_ = std::move(*opened);
  }
  SqliteDb* db = stats_db_.get();
  RVM_RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto count = [&]() -> Status {
    {
      auto counts = db->Prepare("SELECT state, COUNT(*) FROM records GROUP BY state");
      if (!counts.ok()) return counts.status();
      while (true) {
        auto row = counts->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        std::string state = counts->ColumnText(0);
        int64_t n = counts->ColumnInt(1);
        if (state == "pending") stats.pending = n;
        if (state == "delivered") stats.delivered = n;
        if (state == "parked") stats.parked = n;
      }
    }
    {
      auto pending = db->Prepare(
          "SELECT COALESCE(SUM(length(CAST(payload AS BLOB)) + CASE WHEN evidence_state = 'stored' "
          "THEN evidence_bytes ELSE 0 END), 0), MIN(created_ms) FROM records WHERE state = "
          "'pending'");
      if (!pending.ok()) return pending.status();
      auto row = pending->Step();
      if (!row.ok()) return row.status();
      stats.pending_bytes = pending->ColumnInt(0);
      if (!pending->ColumnIsNull(1)) {
        stats.oldest_pending_age_ms =
            std::max<int64_t>(0, clock_.WallMillis() - pending->ColumnInt(1));
      }
    }
    {
      auto evidence = db->Prepare(
          "SELECT evidence_state, COUNT(*) FROM records WHERE evidence_state != 'none' "
          "GROUP BY evidence_state");
      if (!evidence.ok()) return evidence.status();
      while (true) {
        auto row = evidence->Step();
        if (!row.ok()) return row.status();
        if (!*row) break;
        if (evidence->ColumnText(0) == "stored") {
          stats.evidence_stored = evidence->ColumnInt(1);
        } else {
          stats.evidence_dropped += evidence->ColumnInt(1);
        }
      }
    }
    return Status::Ok();
  };
  const Status counted = count();
  const Status ended = db->Exec(counted.ok() ? "COMMIT" : "ROLLBACK");
  if (!counted.ok() || !ended.ok()) {
    stats_db_.reset();  // a fresh connection next time
    return counted.ok() ? ended : counted;
  }
  return Status::Ok();
}

Result<OutboxStats> Outbox::Stats() {
  OutboxStats stats;
  RVM_RETURN_IF_ERROR(CountRecords(stats));
  std::lock_guard l(db_mu_);
  SpaceUsage usage;
  SpaceLimits limits;
  RVM_RETURN_IF_ERROR(MeasureSpaceLocked(&usage, &limits));
  UpdateAcceptingLocked(usage, limits);
  stats.bytes_used = usage.UsedBytes();
  stats.accepting = accepting_.load();
  stats.not_accepting_reason = NotAcceptingReasonLocked();
  stats.quota_bytes = options_.quota_bytes;
  stats.group_commits = group_commits_;
  stats.appended = appended_;
  return stats;
}

}  // namespace rvm::outbox
