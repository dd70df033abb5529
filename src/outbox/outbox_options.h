// OutboxOptions: how an Outbox is laid out on disk and bounded. A plain struct
// with defaults; Outbox::Open validates it and names the offending field.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace rvm::outbox {

struct OutboxOptions {
  // Directory holding outbox.db (+ -wal, -shm), LOCK and spool/. Created if
  // missing (see create_if_missing). Required.
  std::string dir;

  // When false, Open fails with NotFound ("no outbox.db") unless dir already
  // holds an outbox.db, and creates nothing: for operator commands, where a
  // mistyped --dir must not become a new, empty outbox. Read-only opens never
  // create anything.
  bool create_if_missing = true;

  // Upper bound on the bytes the outbox occupies (database, WAL charge and
  // evidence). When an append would exceed it, evidence images are dropped,
  // delivered records' first, oldest first; records are never dropped. When
  // even records no longer fit, the outbox stops accepting (see reserve_bytes).
  int64_t quota_bytes = int64_t{1} << 30;

  // Room kept for records: the outbox reports accepting() == false, and
  // Append fails with ResourceExhausted, once less than this is left for rows
  // with all evidence dropped. It accepts again as soon as the room is back.
  int64_t reserve_bytes = 256 << 10;

  // The WAL is checkpointed into the database and truncated when it reaches
  // this size; it is charged to the quota at this size from the start.
  int64_t wal_checkpoint_bytes = 1 << 20;

  // Most records committed in one transaction (one fsync of the WAL). Appends
  // that arrive while a commit is in progress wait and join the next one.
  int max_group_commit = 512;

  // How long the thread that leads a group commit waits for more appends to
  // join before committing. Zero commits at once; batches still form from
  // appends that arrive during the previous commit's fsync.
  std::chrono::microseconds group_commit_window{0};

  // Retention (ApplyRetention): delivered records, with their images, are
  // removed once delivered this long ago...
  std::chrono::milliseconds retention_age = std::chrono::hours(24 * 30);
  // ...and all of them, whatever their age, once the outbox uses more than
  // this fraction of quota_bytes or stops accepting: a delivered backlog
  // never keeps a machine out of service. In (0, 1].
  double retention_high_water = 0.9;

  // Open for inspection only: no lock, no recovery, every mutation fails.
  // Safe while the agent has the same outbox open.
  bool read_only = false;

  // Name of a registered SQLite VFS to use instead of the default; tests
  // register a fault-injecting one.
  std::string sqlite_vfs;
};

// The smallest quota_bytes Outbox::Open accepts with these options: the WAL's
// charge, the reserve and 64 KiB for the database's first pages (1,376,256
// bytes with the defaults). `rvm-edge config check` and `run` both apply it.
inline int64_t MinimumQuotaBytes(const OutboxOptions& o) {
  return o.wal_checkpoint_bytes + o.reserve_bytes + (64 << 10);
}

// The quota rule as a sentence about o.quota_bytes ("-1 is below the minimum
// 1376256 (...)"), empty when it holds; callers prefix the name they know the
// value by (outbox.quota_bytes, --quota-bytes).
std::string QuotaBytesProblem(const OutboxOptions& o);

}  // namespace rvm::outbox
