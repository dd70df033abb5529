#include "platform_sim/sim_store.h"

#include <sqlite3.h>

#include <cstdio>
#include <random>

namespace rvm::sim {
namespace {

using nlohmann::json;

constexpr RecordKind kAllKinds[] = {RecordKind::kDeposit, RecordKind::kDetectionResult,
                                    RecordKind::kUpload,  RecordKind::kHeartbeat,
                                    RecordKind::kMetrics, RecordKind::kClaim};

// One prepared statement; finalized when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? ""
                        : std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Error() const { return sqlite3_errmsg(db_); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

Status SqlError(sqlite3* db, const std::string& what) {
  return Internal("sim database: " + what + ": " + sqlite3_errmsg(db));
}

json ParseOrString(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

std::string UuidForMachine(int64_t id) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "00000000-0000-4000-8000-%012lld", static_cast<long long>(id));
  return buf;
}

std::string SerialForMachine(int64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "RVM-202601-%03lld", static_cast<long long>(id));
  return buf;
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS machines (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, api_key TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL, timezone TEXT NOT NULL DEFAULT 'Asia/Jakarta');
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password TEXT NOT NULL,
  name TEXT NOT NULL, role TEXT NOT NULL, points_balance INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT, token TEXT NOT NULL UNIQUE, user_id INTEGER NOT NULL,
  issued_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS edge_devices (
  machine_id INTEGER PRIMARY KEY, hardware_id TEXT, name TEXT, body TEXT NOT NULL,
  handshakes INTEGER NOT NULL DEFAULT 0, updated_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  kind TEXT NOT NULL, key TEXT NOT NULL, seq INTEGER NOT NULL, status INTEGER NOT NULL,
  body TEXT NOT NULL, duplicates INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS transactions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, machine_id INTEGER NOT NULL, session_id TEXT,
  user_id INTEGER, timestamp TEXT, items TEXT NOT NULL, points INTEGER NOT NULL,
  variant TEXT NOT NULL, received_ms INTEGER NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS transactions_session ON transactions(session_id)
  WHERE session_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS transaction_duplicates (n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  id INTEGER PRIMARY KEY AUTOINCREMENT, machine_id INTEGER NOT NULL, action TEXT NOT NULL,
  payload TEXT, state TEXT NOT NULL, queued_ms INTEGER NOT NULL, delivered_ms INTEGER);
CREATE TABLE IF NOT EXISTS command_results (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, machine_id INTEGER NOT NULL, body TEXT NOT NULL,
  received_ms INTEGER NOT NULL);
)sql";

}  // namespace

const char* RecordTableName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kDeposit:
      return "deposits";
    case RecordKind::kDetectionResult:
      return "detection_results";
    case RecordKind::kUpload:
      return "uploads";
    case RecordKind::kHeartbeat:
      return "heartbeats";
    case RecordKind::kMetrics:
      return "metrics";
    case RecordKind::kClaim:
      return "claims";
  }
  return "unknown";
}

Result<std::unique_ptr<SimStore>> SimStore::Open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return IoError("sim database '" + path + "': cannot open: " + msg);
  }
  std::unique_ptr<SimStore> store(new SimStore(db));
  std::string schema = kSchema;
  for (RecordKind kind : kAllKinds) {
    schema += std::string("CREATE TABLE IF NOT EXISTS ") + RecordTableName(kind) +
              " (seq INTEGER PRIMARY KEY AUTOINCREMENT, machine_id INTEGER NOT NULL,"
              " item_id TEXT, payload TEXT NOT NULL, received_ms INTEGER NOT NULL);\n";
  }
  // Every commit syncs the WAL, so an acknowledged record survives a power
  // cut; group commit (InsertRecord) shares that sync among concurrent requests.
  if (path != ":memory:") {
    RVM_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"));
  }
  RVM_RETURN_IF_ERROR(store->Exec(schema));
  return store;
}

SimStore::~SimStore() { sqlite3_close(db_); }

Status SimStore::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Internal("sim database: " + msg);
  }
  return Status::Ok();
}

Status SimStore::Seed(const std::vector<MachineSeed>& machines,
                      const std::vector<UserSeed>& users) {
  std::lock_guard lock(mu_);
  for (const auto& m : machines) {
    Stmt s(db_,
           "INSERT INTO machines(id, name, api_key, status) VALUES(?1, ?2, ?3, ?4) "
           "ON CONFLICT(id) DO UPDATE SET name=?2, api_key=?3, status=?4");
    s.Bind(1, m.id).Bind(2, m.name).Bind(3, m.api_key).Bind(4, m.status);
    if (s.Step() != SQLITE_DONE) return SqlError(db_, "seeding machine " + std::to_string(m.id));
  }
  for (const auto& u : users) {
    Stmt s(db_,
           "INSERT INTO users(id, email, password, name, role) VALUES(?1, ?2, ?3, ?4, ?5) "
           "ON CONFLICT(id) DO UPDATE SET email=?2, password=?3, name=?4, role=?5");
    s.Bind(1, u.id).Bind(2, u.email).Bind(3, u.password).Bind(4, u.name).Bind(5, u.role);
    if (s.Step() != SQLITE_DONE) return SqlError(db_, "seeding user '" + u.email + "'");
  }
  return Status::Ok();
}

namespace {
std::optional<Machine> ReadMachine(Stmt& s) {
  if (s.Step() != SQLITE_ROW) return std::nullopt;
  Machine m;
  m.id = s.Int(0);
  m.name = s.Text(1);
  m.api_key = s.Text(2);
  m.status = s.Text(3);
  m.timezone = s.Text(4);
  m.uuid = UuidForMachine(m.id);
  m.serial = SerialForMachine(m.id);
  return m;
}
std::optional<User> ReadUser(Stmt& s) {
  if (s.Step() != SQLITE_ROW) return std::nullopt;
  return User{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Int(4)};
}
}  // namespace

std::optional<Machine> SimStore::MachineByKey(const std::string& api_key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, name, api_key, status, timezone FROM machines WHERE api_key = ?1");
  s.Bind(1, api_key);
  return ReadMachine(s);
}

std::optional<Machine> SimStore::MachineById(int64_t id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, name, api_key, status, timezone FROM machines WHERE id = ?1");
  s.Bind(1, id);
  return ReadMachine(s);
}

Status SimStore::SetMachineStatus(int64_t id, const std::string& status) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE machines SET status = ?2 WHERE id = ?1");
  s.Bind(1, id).Bind(2, status);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "setting machine status");
  if (sqlite3_changes(db_) == 0) return NotFound("machine " + std::to_string(id) + ": not found");
  return Status::Ok();
}

Status SimStore::SetMachineTimezone(int64_t id, const std::string& timezone) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE machines SET timezone = ?2 WHERE id = ?1");
  s.Bind(1, id).Bind(2, timezone);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "setting machine timezone");
  return Status::Ok();
}

std::optional<User> SimStore::UserByCredentials(const std::string& email,
                                                const std::string& password) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT id, email, name, role, points_balance FROM users "
         "WHERE email = ?1 AND password = ?2");
  s.Bind(1, email).Bind(2, password);
  return ReadUser(s);
}

std::optional<User> SimStore::UserById(int64_t id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, email, name, role, points_balance FROM users WHERE id = ?1");
  s.Bind(1, id);
  return ReadUser(s);
}

Result<std::string> SimStore::IssueToken(int64_t user_id, int64_t now_ms) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string secret;
  for (int i = 0; i < 40; ++i) secret += kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT INTO tokens(token, user_id, issued_ms) VALUES('', ?1, ?2)");
  s.Bind(1, user_id).Bind(2, now_ms);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "issuing token");
  const int64_t id = sqlite3_last_insert_rowid(db_);
  std::string token = std::to_string(id) + "|" + secret;
  Stmt u(db_, "UPDATE tokens SET token = ?2 WHERE id = ?1");
  u.Bind(1, id).Bind(2, token);
  if (u.Step() != SQLITE_DONE) return SqlError(db_, "issuing token");
  return token;
}

std::optional<TokenInfo> SimStore::LookupToken(const std::string& token) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT user_id, issued_ms, revoked FROM tokens WHERE token = ?1");
  s.Bind(1, token);
  if (s.Step() != SQLITE_ROW) return std::nullopt;
  return TokenInfo{s.Int(0), s.Int(1), s.Int(2) != 0};
}

int64_t SimStore::RevokeAllTokens() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "UPDATE tokens SET revoked = 1 WHERE revoked = 0");
  s.Step();
  return sqlite3_changes(db_);
}

Status SimStore::UpsertEdgeDevice(int64_t machine_id, const json& body, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO edge_devices(machine_id, hardware_id, name, body, handshakes, updated_ms) "
         "VALUES(?1, ?2, ?3, ?4, 1, ?5) ON CONFLICT(machine_id) DO UPDATE SET hardware_id=?2, "
         "name=?3, body=?4, handshakes=handshakes+1, updated_ms=?5");
  s.Bind(1, machine_id)
      .Bind(2, body.value("hardware_id", std::string()))
      .Bind(3, body.value("name", std::string()))
      .Bind(4, body.dump())
      .Bind(5, now_ms);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "storing edge device");
  Stmt m(db_, "UPDATE machines SET status = 'online' WHERE id = ?1");
  m.Bind(1, machine_id);
  if (m.Step() != SQLITE_DONE) return SqlError(db_, "setting machine online");
  return Status::Ok();
}

// One InsertRecord call waiting for its group commit.
struct SimStore::PendingInsert {
  RecordKind kind;
  const RecordRow* row;
  const std::function<StoredResponse(int64_t seq)>* respond;
  std::optional<Result<InsertOutcome>> result;
  bool done = false;  // guarded by queue_mu_
};

Result<InsertOutcome> SimStore::InsertRecord(
    RecordKind kind, const RecordRow& row,
    const std::function<StoredResponse(int64_t seq)>& respond) {
  PendingInsert self{kind, &row, &respond, std::nullopt};
  std::unique_lock q(queue_mu_);
  queue_.push_back(&self);
  queue_cv_.wait(q, [&] { return self.done || (!committing_ && queue_.front() == &self); });
  if (self.done) return std::move(*self.result);
  // This request leads: every insert queued meanwhile joins its transaction.
  committing_ = true;
  std::vector<PendingInsert*> batch(queue_.begin(), queue_.end());
  queue_.clear();
  q.unlock();
  {
    std::lock_guard lock(mu_);
    CommitInsertsLocked(batch);
  }
  q.lock();
  committing_ = false;
  for (PendingInsert* p : batch) p->done = true;
  queue_cv_.notify_all();
  return std::move(*self.result);
}

void SimStore::CommitInsertsLocked(const std::vector<PendingInsert*>& batch) {
  auto fail_all = [&](const Status& st) {
    for (PendingInsert* p : batch) p->result = st;
  };
  if (Status st = Exec("BEGIN IMMEDIATE"); !st.ok()) return fail_all(st);
  for (PendingInsert* p : batch) {
    // Each insert in its own savepoint: one that fails leaves the others.
    if (Status st = Exec("SAVEPOINT one_insert"); !st.ok()) {
      p->result = st;
      continue;
    }
    p->result = InsertOneLocked(p->kind, *p->row, *p->respond);
    if (p->result->ok()) {
      (void)Exec("RELEASE one_insert");
    } else {
      (void)Exec("ROLLBACK TO one_insert");
      (void)Exec("RELEASE one_insert");
    }
  }
  // Only now, with the transaction committed (and with a database file, its
  // WAL synced), may any of these requests be acknowledged.
  if (Status st = Exec("COMMIT"); !st.ok()) {
    (void)Exec("ROLLBACK");
    fail_all(st);
  }
}

Result<InsertOutcome> SimStore::InsertOneLocked(
    RecordKind kind, const RecordRow& row,
    const std::function<StoredResponse(int64_t seq)>& respond) {
  const std::string kind_name = RecordTableName(kind);
  InsertOutcome out;
  if (!row.item_id.empty()) {
    Stmt q(db_, "SELECT seq, status, body FROM idempotency_keys WHERE kind = ?1 AND key = ?2");
    q.Bind(1, kind_name).Bind(2, row.item_id);
    if (q.Step() == SQLITE_ROW) {
      out.duplicate = true;
      out.seq = q.Int(0);
      out.response = {static_cast<int>(q.Int(1)), q.Text(2)};
      Stmt u(
          db_,
          "UPDATE idempotency_keys SET duplicates = duplicates + 1 WHERE kind = ?1 AND key = ?2");
      u.Bind(1, kind_name).Bind(2, row.item_id);
      if (u.Step() != SQLITE_DONE) return SqlError(db_, "counting duplicate");
      return out;
    }
  }
  const std::string insert = "INSERT INTO " + kind_name +
                             "(machine_id, item_id, payload, received_ms) VALUES(?1, ?2, ?3, ?4)";
  Stmt s(db_, insert.c_str());
  s.Bind(1, row.machine_id).Bind(3, row.payload.dump()).Bind(4, row.received_ms);
  if (!row.item_id.empty()) s.Bind(2, row.item_id);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "storing " + kind_name);
  out.seq = sqlite3_last_insert_rowid(db_);
  out.response = respond(out.seq);
  if (!row.item_id.empty()) {
    Stmt k(db_,
           "INSERT INTO idempotency_keys(kind, key, seq, status, body) VALUES(?1, ?2, ?3, ?4, ?5)");
    k.Bind(1, kind_name).Bind(2, row.item_id).Bind(3, out.seq).Bind(4, out.response.status);
    k.Bind(5, out.response.body);
    if (k.Step() != SQLITE_DONE) return SqlError(db_, "storing idempotency key");
  }
  return out;
}

Result<SyncOutcome> SimStore::SyncTransactions(int64_t machine_id,
                                               const std::vector<OfflineTransaction>& txns,
                                               bool check_users, const std::string& variant,
                                               int64_t now_ms) {
  std::lock_guard lock(mu_);
  SyncOutcome out;
  RVM_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const std::string& what) {
    Status st = SqlError(db_, what);
    (void)Exec("ROLLBACK");
    return st;
  };
  for (const auto& t : txns) {
    if (!t.session_id.empty()) {
      Stmt q(db_, "SELECT 1 FROM transactions WHERE session_id = ?1");
      q.Bind(1, t.session_id);
      if (q.Step() == SQLITE_ROW) {
        ++out.duplicates;
        ++out.synced_count;
        continue;
      }
    }
    if (check_users && t.user_id.has_value()) {
      Stmt q(db_, "SELECT 1 FROM users WHERE id = ?1");
      q.Bind(1, *t.user_id);
      if (q.Step() != SQLITE_ROW) {
        out.unknown_user.push_back({t.session_id, *t.user_id});
        continue;
      }
    }
    int64_t points = 0;
    for (const auto& item : t.items) {
      if (item.is_object() && item.contains("points") && item["points"].is_number()) {
        points += item["points"].get<int64_t>();
      }
    }
    Stmt s(db_,
           "INSERT INTO transactions(machine_id, session_id, user_id, timestamp, items, points, "
           "variant, received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s.Bind(1, machine_id).Bind(4, t.timestamp).Bind(5, t.items.dump()).Bind(6, points);
    s.Bind(7, variant).Bind(8, now_ms);
    if (!t.session_id.empty()) s.Bind(2, t.session_id);
    if (t.user_id.has_value()) s.Bind(3, *t.user_id);
    if (s.Step() != SQLITE_DONE) return fail("storing transaction");
    if (t.user_id.has_value()) {
      Stmt u(db_, "UPDATE users SET points_balance = points_balance + ?2 WHERE id = ?1");
      u.Bind(1, *t.user_id).Bind(2, points);
      if (u.Step() != SQLITE_DONE) return fail("crediting points");
    }
    ++out.stored;
    ++out.synced_count;
  }
  for (int64_t i = 0; i < out.duplicates; ++i) {
    Stmt d(db_, "INSERT INTO transaction_duplicates(n) VALUES(1)");
    if (d.Step() != SQLITE_DONE) return fail("counting duplicate transaction");
  }
  RVM_RETURN_IF_ERROR(Exec("COMMIT"));
  return out;
}

Result<int64_t> SimStore::QueueCommand(int64_t machine_id, const std::string& action,
                                       const json& payload, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "INSERT INTO commands(machine_id, action, payload, state, queued_ms) "
         "VALUES(?1, ?2, ?3, 'queued', ?4)");
  s.Bind(1, machine_id).Bind(2, action).Bind(4, now_ms);
  if (!payload.is_null()) s.Bind(3, payload.dump());
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "queueing command");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db_));
}

Result<std::vector<json>> SimStore::TakeCommands(int64_t machine_id, int64_t now_ms,
                                                 int64_t ttl_ms) {
  std::lock_guard lock(mu_);
  std::vector<json> commands;
  int64_t newest_ms = 0;
  {
    Stmt s(db_,
           "SELECT action, payload, queued_ms FROM commands WHERE machine_id = ?1 AND "
           "state = 'queued' ORDER BY id");
    s.Bind(1, machine_id);
    while (s.Step() == SQLITE_ROW) {
      json c = {{"action", s.Text(0)}, {"queued_ms", s.Int(2)}};
      if (!s.IsNull(1)) c["payload"] = ParseOrString(s.Text(1));
      newest_ms = std::max(newest_ms, s.Int(2));
      commands.push_back(std::move(c));
    }
  }
  if (commands.empty()) return commands;
  // The real server keeps the queue in a cache entry whose TTL restarts on
  // each enqueue; when it lapses the whole queue is gone.
  const bool expired = ttl_ms > 0 && now_ms - newest_ms > ttl_ms;
  Stmt u(db_,
         "UPDATE commands SET state = ?2, delivered_ms = ?3 WHERE machine_id = ?1 AND "
         "state = 'queued'");
  u.Bind(1, machine_id).Bind(2, std::string(expired ? "expired" : "delivered")).Bind(3, now_ms);
  if (u.Step() != SQLITE_DONE) return SqlError(db_, "marking commands delivered");
  if (expired) commands.clear();
  return commands;
}

Status SimStore::RecordCommandResult(int64_t machine_id, const json& result, int64_t now_ms) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT INTO command_results(machine_id, body, received_ms) VALUES(?1, ?2, ?3)");
  s.Bind(1, machine_id).Bind(2, result.dump()).Bind(3, now_ms);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "storing command result");
  return Status::Ok();
}

json SimStore::ListRecords(RecordKind kind) {
  std::lock_guard lock(mu_);
  const std::string sql =
      std::string("SELECT seq, machine_id, item_id, payload, received_ms FROM ") +
      RecordTableName(kind) + " ORDER BY seq";
  Stmt s(db_, sql.c_str());
  json rows = json::array();
  while (s.Step() == SQLITE_ROW) {
    json r = {{"seq", s.Int(0)},
              {"machine_id", s.Int(1)},
              {"item_id", s.IsNull(2) ? json(nullptr) : json(s.Text(2))},
              {"payload", ParseOrString(s.Text(3))},
              {"received_ms", s.Int(4)}};
    rows.push_back(std::move(r));
  }
  return rows;
}

json SimStore::ListTransactions() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT seq, machine_id, session_id, user_id, timestamp, items, points, variant, "
         "received_ms FROM transactions ORDER BY seq");
  json rows = json::array();
  while (s.Step() == SQLITE_ROW) {
    rows.push_back({{"seq", s.Int(0)},
                    {"machine_id", s.Int(1)},
                    {"session_id", s.IsNull(2) ? json(nullptr) : json(s.Text(2))},
                    {"user_id", s.IsNull(3) ? json(nullptr) : json(s.Int(3))},
                    {"timestamp", s.Text(4)},
                    {"items", ParseOrString(s.Text(5))},
                    {"points", s.Int(6)},
                    {"variant", s.Text(7)},
                    {"received_ms", s.Int(8)}});
  }
  return rows;
}

json SimStore::ListCommands() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT id, machine_id, action, payload, state, queued_ms, delivered_ms FROM commands "
         "ORDER BY id");
  json rows = json::array();
  while (s.Step() == SQLITE_ROW) {
    rows.push_back({{"id", s.Int(0)},
                    {"machine_id", s.Int(1)},
                    {"action", s.Text(2)},
                    {"payload", s.IsNull(3) ? json(nullptr) : ParseOrString(s.Text(3))},
                    {"state", s.Text(4)},
                    {"queued_ms", s.Int(5)},
                    {"delivered_ms", s.IsNull(6) ? json(nullptr) : json(s.Int(6))}});
  }
  return rows;
}

json SimStore::ListCommandResults() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT seq, machine_id, body, received_ms FROM command_results ORDER BY seq");
  json rows = json::array();
  while (s.Step() == SQLITE_ROW) {
    rows.push_back({{"seq", s.Int(0)},
                    {"machine_id", s.Int(1)},
                    {"result", ParseOrString(s.Text(2))},
                    {"received_ms", s.Int(3)}});
  }
  return rows;
}

json SimStore::ListMachines() {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, name, api_key, status, timezone FROM machines ORDER BY id");
  json rows = json::array();
  while (auto m = ReadMachine(s)) {
    rows.push_back({{"id", m->id},
                    {"name", m->name},
                    {"status", m->status},
                    {"uuid", m->uuid},
                    {"serial_number", m->serial},
                    {"timezone", m->timezone}});
  }
  return rows;
}

json SimStore::ListEdgeDevices() {
  std::lock_guard lock(mu_);
  Stmt s(db_,
         "SELECT machine_id, hardware_id, name, body, handshakes, updated_ms FROM edge_devices "
         "ORDER BY machine_id");
  json rows = json::array();
  while (s.Step() == SQLITE_ROW) {
    rows.push_back({{"machine_id", s.Int(0)},
                    {"hardware_id", s.Text(1)},
                    {"name", s.Text(2)},
                    {"handshake", ParseOrString(s.Text(3))},
                    {"handshakes", s.Int(4)},
                    {"updated_ms", s.Int(5)}});
  }
  return rows;
}

std::map<std::string, int64_t> SimStore::StoredCounts() {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> counts;
  auto count = [&](const std::string& table) {
    const std::string sql = "SELECT COUNT(*) FROM " + table;
    Stmt s(db_, sql.c_str());
    counts[table] = s.Step() == SQLITE_ROW ? s.Int(0) : 0;
  };
  for (RecordKind kind : kAllKinds) count(RecordTableName(kind));
  count("transactions");
  count("edge_devices");
  count("command_results");
  return counts;
}

std::map<std::string, int64_t> SimStore::DuplicateCounts() {
  std::lock_guard lock(mu_);
  std::map<std::string, int64_t> counts;
  for (RecordKind kind : kAllKinds) counts[RecordTableName(kind)] = 0;
  Stmt s(db_, "SELECT kind, SUM(duplicates) FROM idempotency_keys GROUP BY kind");
  while (s.Step() == SQLITE_ROW) counts[s.Text(0)] = s.Int(1);
  Stmt t(db_, "SELECT COUNT(*) FROM transaction_duplicates");
  counts["transactions"] = t.Step() == SQLITE_ROW ? t.Int(0) : 0;
  return counts;
}

Status SimStore::ClearData() {
  std::lock_guard lock(mu_);
  std::string sql = "BEGIN;";
  for (RecordKind kind : kAllKinds)
    sql += std::string("DELETE FROM ") + RecordTableName(kind) + ";";
  sql +=
      "DELETE FROM transactions; DELETE FROM transaction_duplicates; DELETE FROM commands;"
      "DELETE FROM command_results; DELETE FROM edge_devices; DELETE FROM idempotency_keys;"
      "UPDATE users SET points_balance = 0; COMMIT;";
  return Exec(sql);
}

}  // namespace rvm::sim
