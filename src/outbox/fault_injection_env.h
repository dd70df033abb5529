// FaultInjectionEnv: an Env for tests that forwards to a real Env and
// remembers which writes are not yet durable, so a test can simulate a power
// cut and a full disk.
//
// Model (matching what POSIX promises, no more): file contents written by
// WriteFile are durable only after SyncFile; a file's name (from creation or
// rename) is durable only after SyncDir of its directory. CutPower() makes
// every later call fail, as if the machine had stopped; RestoreDurableState()
// then rewrites the disk to what a power cut could leave: files whose name was
// never made durable are deleted, files whose contents were never synced are
// truncated to zero bytes. Two simplifications: the source name of a rename and
// a removed file are not brought back. Files the Env never wrote are treated
// as durable. A space limit makes writes past it fail with ResourceExhausted
// (ENOSPC). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "outbox/env.h"

namespace rvm::outbox {

class FaultInjectionEnv final : public Env {
 public:
  explicit FaultInjectionEnv(Env& base) : base_(base) {}

  // Called before every operation with its name ("WriteFile", "SyncFile",
  // "SyncDir", "RenameFile", "RemoveFile") and path; a test may call
  // CutPower() from it to stop the machine at that exact point. The hook runs
  // without the Env's lock held.
  void SetHook(std::function<void(const std::string& op, const std::string& path)> hook);
  // Bytes the files written through this Env may occupy in total; negative
  // means unlimited (the default).
  void SetSpaceLimit(int64_t bytes);
  // The next `n` WriteFile calls fail with ResourceExhausted (ENOSPC)
  // although FreeBytes reports room: another process filled the disk.
  void FailNextWrites(int n);
  void CutPower();
  // Leaves the disk as a power cut would and turns the power back on.
  void RestoreDurableState();

  int64_t sync_count() const;
  bool power_on() const;

  Status WriteFile(const std::string& path, std::string_view data) override;
  Status SyncFile(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDir(const std::string& dir) override;
  Result<std::vector<uint8_t>> ReadFile(const std::string& path) override;
  Result<uint64_t> FileSize(const std::string& path) override;
  Result<std::vector<std::string>> ListDir(const std::string& dir) override;
  Result<uint64_t> FreeBytes(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

 private:
  struct FileState {
    bool contents_synced = false;
    bool name_durable = false;
    int64_t size = 0;
  };
  void RunHook(const std::string& op, const std::string& path);
  Status PowerOffError(const std::string& path) const;

  Env& base_;
  std::function<void(const std::string&, const std::string&)> hook_;
  mutable std::mutex mu_;
  std::map<std::string, FileState> files_;  // guarded by mu_; only files this Env wrote
  int64_t space_limit_ = -1;                // guarded by mu_
  int64_t space_used_ = 0;                  // guarded by mu_
  int64_t sync_count_ = 0;                  // guarded by mu_
  int failing_writes_ = 0;                  // guarded by mu_
  bool power_on_ = true;                    // guarded by mu_
};

}  // namespace rvm::outbox
