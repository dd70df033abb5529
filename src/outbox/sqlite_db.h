// SqliteDb and SqliteStatement: a thin RAII layer over the SQLite C API that
// turns result codes into Status values naming the database and the step that
// failed. A disk-full result (SQLITE_FULL) maps to ResourceExhausted so callers
// can tell "no room" from other I/O failures.
//
// Thread-compatible: a SqliteDb and its statements must be used by one thread
// at a time (the caller's mutex serialises them).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rvm::outbox {

class SqliteStatement;

class SqliteDb {
 public:
  // Opens (and with `create`, creates) the database file at `path`. `vfs` names
  // a registered SQLite VFS; empty means the default.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, bool read_only,
                                                bool create, const std::string& vfs);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  // The first column of the first row of `sql`, as an integer.
  Result<int64_t> QueryInt(std::string_view sql);
  Result<std::string> QueryText(std::string_view sql);

  // Maps a SQLite result code to a Status that names `what`.
  Status Error(int rc, std::string_view what) const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// A prepared statement. Bind indexes start at 1, column indexes at 0.
class SqliteStatement {
 public:
  SqliteStatement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  ~SqliteStatement();

  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindNull(int index);
  // Advances; true when a row is available, false when done.
  Result<bool> Step();
  // Steps a statement that returns no rows.
  Status Run();
  // Resets so the statement can be bound and stepped again.
  void Reset();

  int64_t ColumnInt(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

}  // namespace rvm::outbox
