// Env: the narrow file-system seam of the outbox's evidence spool.
//
// Every file operation the outbox performs outside SQLite goes through an Env,
// so tests can substitute FaultInjectionEnv, which loses unsynced data at a
// simulated power cut and runs out of space past a byte budget. The contract
// mirrors POSIX: WriteFile leaves data in volatile caches until SyncFile, and a
// created, renamed or removed directory entry is durable only after SyncDir of
// its directory. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rvm::outbox {

// An exclusive, advisory lock on a file, held until the object is destroyed.
// A process that dies releases it.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class Env {
 public:
  virtual ~Env() = default;

  // Creates or truncates `path` and writes `data`, without syncing.
  // Returns ResourceExhausted when the device is out of space.
  virtual Status WriteFile(const std::string& path, std::string_view data) = 0;
  // Makes the contents of `path` durable (fsync).
  virtual Status SyncFile(const std::string& path) = 0;
  // Makes the entries of directory `dir` (creations, renames, removals) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Atomically replaces `to` with `from`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Removes `path`; NotFound when it does not exist.
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Result<std::vector<uint8_t>> ReadFile(const std::string& path) = 0;
  // Size in bytes; NotFound when the file does not exist.
  virtual Result<uint64_t> FileSize(const std::string& path) = 0;
  // Names (not paths) of the regular files in `dir`, in no particular order.
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Bytes an unprivileged process may still write on the device holding `dir`.
  virtual Result<uint64_t> FreeBytes(const std::string& dir) = 0;
  // Takes an exclusive lock on `path` (created if missing); Unavailable when
  // another process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The real POSIX file system. Shared, stateless, thread-safe.
Env& PosixEnv();

}  // namespace rvm::outbox
