// Space accounting for the outbox's byte quota: pure arithmetic, no I/O, so
// the retention rules are tested without filling a disk.
//
// The outbox occupies three things on disk: the SQLite database, its
// write-ahead log and the evidence spool. Pages on SQLite's freelist are
// reused before the file grows, so they count as free. The WAL is checkpointed
// and truncated when it reaches a fixed size, so it is charged at least that
// size from the start; this keeps the budget stable instead of swinging with
// every checkpoint. Evidence can always be dropped to make room for records,
// so "room for records" counts the spool as reclaimable.
#pragma once

#include <algorithm>
#include <cstdint>

namespace rvm::outbox {

struct SpaceUsage {
  int64_t db_bytes = 0;       // size of the database file
  int64_t db_free_bytes = 0;  // freelist pages inside it, reusable without growth
  int64_t wal_bytes = 0;      // charge for the WAL: max(file size, checkpoint size)
  int64_t spool_bytes = 0;    // evidence images currently stored

  int64_t RecordBytes() const { return db_bytes - db_free_bytes + wal_bytes; }
  int64_t UsedBytes() const { return RecordBytes() + spool_bytes; }
};

struct SpaceLimits {
  int64_t quota_bytes = 0;      // the outbox may occupy at most this much
  int64_t disk_free_bytes = 0;  // what the file system still has for us
};

// Bytes that can be written now without dropping anything.
inline int64_t RoomNow(const SpaceUsage& u, const SpaceLimits& l) {
  return std::min(l.quota_bytes - u.UsedBytes(), l.disk_free_bytes);
}

// Bytes that records could use if every evidence image were dropped.
inline int64_t RoomForRecords(const SpaceUsage& u, const SpaceLimits& l) {
  return std::min(l.quota_bytes - u.RecordBytes(), l.disk_free_bytes + u.spool_bytes);
}

// The outbox accepts items only while a full reserve is left for records, so
// a record in flight, and the delivery bookkeeping after it, always fit.
inline bool HasRoomToAccept(const SpaceUsage& u, const SpaceLimits& l, int64_t reserve_bytes) {
  return RoomForRecords(u, l) >= reserve_bytes;
}

// How many evidence bytes must be freed before writing `record_bytes` of rows
// plus `evidence_bytes` of new images; 0 when everything fits.
inline int64_t EvidenceBytesToFree(const SpaceUsage& u, const SpaceLimits& l, int64_t record_bytes,
                                   int64_t evidence_bytes) {
  return std::max<int64_t>(0, record_bytes + evidence_bytes - RoomNow(u, l));
}

// What one row costs on disk, roughly: the row and its index entries land in
// the WAL and again in the database after a checkpoint.
inline int64_t EstimateRowBytes(int64_t payload_bytes, int64_t key_bytes) {
  constexpr int64_t kRowOverhead = 192;  // columns, sha256 hex, b-tree cell headers
  return 2 * (payload_bytes + 2 * key_bytes + kRowOverhead);
}

}  // namespace rvm::outbox
