// SimStore: the platform sim's database, on SQLite.
//
// It holds what a MyRVM server would know about its devices (machines, users,
// bearer tokens, edge devices, queued remote commands) and everything the
// devices sent (deposits, uploads, detection results, heartbeats, metrics,
// claims, offline-sync transactions), plus the idempotency keys already seen.
// Recording a keyed record and checking its key happen in one SQLite
// transaction, so two concurrent sends of the same item store it once.
//
// Keyed records are group-committed: InsertRecord calls that arrive while a
// transaction is committing wait and share the next one, each in its own
// savepoint, and each returns only after the transaction holding its record
// committed (with a database file: WAL mode, synchronous=FULL, so the WAL was
// synced). A response built from InsertRecord's result therefore acknowledges
// a durable record, never one that a crash could still lose.
//
// Thread-safety: all methods are safe to call from many threads; one mutex
// serialises access to the single connection. With path ":memory:" the data
// lives only as long as the store; with a file path it survives restarts.
#pragma once

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

struct sqlite3;

namespace rvm::sim {

struct MachineSeed {
  int64_t id = 1;
  std::string api_key;  // accepted as X-RVM-API-KEY (edge v1) and X-API-Key (v2)
  std::string name = "RVM-SIM";
  std::string status = "offline";  // online, offline, maintenance, blocked, suspended, ...
};

struct UserSeed {
  int64_t id = 1;
  std::string email;
  std::string password;
  std::string name = "Device User";
  std::string role = "operator";
};

struct Machine {
  int64_t id = 0;
  std::string name;
  std::string api_key;
  std::string status;
  std::string uuid;    // stable, derived from the id
  std::string serial;  // "RVM-202601-NNN"
  std::string timezone;
};

struct User {
  int64_t id = 0;
  std::string email;
  std::string name;
  std::string role;
  int64_t points_balance = 0;
};

struct TokenInfo {
  int64_t user_id = 0;
  int64_t issued_ms = 0;
  bool revoked = false;
};

// The record tables; each row keeps what the device sent as JSON.
enum class RecordKind { kDeposit, kDetectionResult, kUpload, kHeartbeat, kMetrics, kClaim };
const char* RecordTableName(RecordKind kind);

struct RecordRow {
  int64_t machine_id = 0;
  std::string item_id;     // the idempotency key; "" = not deduplicated
  nlohmann::json payload;  // fields as received; images as {sha256, size, type}
  int64_t received_ms = 0;
};

// The response to store with a new keyed record, and to answer its duplicates with.
struct StoredResponse {
  int status = 200;
  std::string body;
};

struct InsertOutcome {
  bool duplicate = false;
  int64_t seq = 0;  // the row that holds the record (the original one for a duplicate)
  StoredResponse response;
};

struct OfflineTransaction {
  std::string session_id;  // the dedupe key; "" = not deduplicated
  std::optional<int64_t> user_id;
  std::string timestamp;
  nlohmann::json items = nlohmann::json::array();
};

struct SyncOutcome {
  int64_t synced_count = 0;  // stored now plus already present
  int64_t stored = 0;
  int64_t duplicates = 0;
  struct Skipped {
    std::string session_id;
    int64_t user_id = 0;
  };
  std::vector<Skipped> unknown_user;  // rows skipped: their user_id is no user's
};

class SimStore {
 public:
  static Result<std::unique_ptr<SimStore>> Open(const std::string& path);
  ~SimStore();
  SimStore(const SimStore&) = delete;
  SimStore& operator=(const SimStore&) = delete;

  // Inserts or replaces the given machines and users (ids are kept).
  Status Seed(const std::vector<MachineSeed>& machines, const std::vector<UserSeed>& users);

  std::optional<Machine> MachineByKey(const std::string& api_key);
  std::optional<Machine> MachineById(int64_t id);
  Status SetMachineStatus(int64_t id, const std::string& status);
  Status SetMachineTimezone(int64_t id, const std::string& timezone);
  std::optional<User> UserByCredentials(const std::string& email, const std::string& password);
  std::optional<User> UserById(int64_t id);

  // Bearer tokens, shaped like Sanctum's "<id>|<40 chars>".
  Result<std::string> IssueToken(int64_t user_id, int64_t now_ms);
  std::optional<TokenInfo> LookupToken(const std::string& token);
  // Revokes every live token; returns how many.
  int64_t RevokeAllTokens();

  // Upserts the edge_devices row of a machine from a handshake body.
  Status UpsertEdgeDevice(int64_t machine_id, const nlohmann::json& body, int64_t now_ms);

  // Stores `row` unless its item_id was already stored for this kind. A new
  // row is answered with respond(seq) (called inside the transaction, on
  // whichever thread leads the group commit); a duplicate gets the first
  // response back and is counted. Returns once the record is committed.
  Result<InsertOutcome> InsertRecord(RecordKind kind, const RecordRow& row,
                                     const std::function<StoredResponse(int64_t seq)>& respond);

  // Stores a batch in one SQLite transaction, in array order. Rows whose
  // session_id is already present count as synced and are skipped; with
  // `check_users`, rows for unknown users are skipped and reported.
  Result<SyncOutcome> SyncTransactions(int64_t machine_id,
                                       const std::vector<OfflineTransaction>& txns,
                                       bool check_users, const std::string& variant,
                                       int64_t now_ms);

  // Remote commands (edge v1): queued per machine, delivered at most once.
  Result<int64_t> QueueCommand(int64_t machine_id, const std::string& action,
                               const nlohmann::json& payload, int64_t now_ms);
  // Pending commands of the machine, marked delivered; a queue whose newest
  // command is older than ttl_ms has expired and delivers nothing.
  Result<std::vector<nlohmann::json>> TakeCommands(int64_t machine_id, int64_t now_ms,
                                                   int64_t ttl_ms);
  Status RecordCommandResult(int64_t machine_id, const nlohmann::json& result, int64_t now_ms);

  // Listings for the /sim endpoints, in arrival order.
  nlohmann::json ListRecords(RecordKind kind);
  nlohmann::json ListTransactions();
  nlohmann::json ListCommands();
  nlohmann::json ListCommandResults();
  nlohmann::json ListMachines();
  nlohmann::json ListEdgeDevices();

  // Rows per record table (and "transactions"), and duplicates seen per kind.
  std::map<std::string, int64_t> StoredCounts();
  std::map<std::string, int64_t> DuplicateCounts();

  // Deletes every record, transaction, command, device and idempotency key and
  // zeroes point balances; machines, users and tokens stay.
  Status ClearData();

 private:
  struct PendingInsert;
  explicit SimStore(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  // Stores the batch in one transaction and fills in every result.
  void CommitInsertsLocked(const std::vector<PendingInsert*>& batch);
  Result<InsertOutcome> InsertOneLocked(RecordKind kind, const RecordRow& row,
                                        const std::function<StoredResponse(int64_t seq)>& respond);

  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_

  // Group commit of InsertRecord: the first queued call leads the next commit.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingInsert*> queue_;  // guarded by queue_mu_
  bool committing_ = false;           // guarded by queue_mu_
};

}  // namespace rvm::sim
