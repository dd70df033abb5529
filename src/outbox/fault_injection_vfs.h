// FaultInjectionVfs: a SQLite VFS for tests that forwards to the default VFS
// and remembers each file's contents as of its last xSync, so a test can
// simulate a power cut underneath SQLite, and a full disk.
//
// CutPower() makes every later write, sync, truncate and delete fail with an
// I/O error, as if the machine had stopped; close the connections, then
// RestoreDurableState() rewrites every file the VFS wrote to its last synced
// contents (deleting files that were never synced) and removes the -shm
// index, which SQLite rebuilds. What survives is exactly what was fsynced, so
// a record that survives proves its commit reached stable storage. Deleted
// files stay deleted (a simplification). A space limit makes writes that grow
// the files past it fail with SQLITE_FULL. FailSyncs(true) makes every xSync
// fail with an I/O error while the writes before it still reach the files: a
// storage device that reports a failed flush (what SQLite makes of it is an
// I/O error on the commit), with the process going on.
//
// Register one instance per name; thread-safe.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"

namespace rvm::outbox {

class FaultInjectionVfs {
 public:
  // Registers the VFS under `name` (not as the default).
  static Result<std::unique_ptr<FaultInjectionVfs>> Register(const std::string& name);
  ~FaultInjectionVfs();  // unregisters; no connection may still use it
  FaultInjectionVfs(const FaultInjectionVfs&) = delete;
  FaultInjectionVfs& operator=(const FaultInjectionVfs&) = delete;

  const std::string& name() const { return name_; }
  void CutPower();
  Status RestoreDurableState();
  // Total bytes the files written through this VFS may grow by; negative
  // means unlimited (the default).
  void SetSpaceLimit(int64_t bytes);
  // While `on`, every sync fails with SQLITE_IOERR_FSYNC (writes go on).
  void FailSyncs(bool on);
  int64_t sync_count() const;

 private:
  friend struct VfsCallbacks;  // the C callbacks, defined beside the implementation
  explicit FaultInjectionVfs(std::string name) : name_(std::move(name)) {}

  struct Tracked {
    std::optional<std::string> durable;  // contents at the last sync; none if never synced
    int64_t size = 0;                    // current size, for the space limit
  };

  std::string name_;
  sqlite3_vfs vfs_{};
  sqlite3_vfs* real_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, Tracked> files_;  // guarded by mu_
  bool power_on_ = true;                  // guarded by mu_
  bool fail_syncs_ = false;               // guarded by mu_
  int64_t space_limit_ = -1;              // guarded by mu_
  int64_t space_used_ = 0;                // guarded by mu_: growth since tracking began
  int64_t sync_count_ = 0;                // guarded by mu_
};

}  // namespace rvm::outbox
