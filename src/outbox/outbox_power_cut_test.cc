// Power-cut proofs of the durability claims in docs/outbox.md. The Env and the
// SQLite VFS underneath the outbox both keep only what was synced when the
// power is cut; a record that survives therefore reached stable storage before
// Append acknowledged it.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "outbox/fault_injection_env.h"
#include "outbox/fault_injection_vfs.h"
#include "outbox/outbox.h"
#include "outbox/test_util.h"

namespace rvm::outbox {
namespace {

class OutboxPowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    auto vfs = FaultInjectionVfs::Register("rvm-power-cut-" + std::to_string(counter++));
    ASSERT_TRUE(vfs.ok());
    vfs_ = std::move(*vfs);
    options_.dir = dir_.path() + "/outbox";
    options_.sqlite_vfs = vfs_->name();
  }
  std::unique_ptr<Outbox> OpenOrDie(Env& env) {
    auto outbox = Outbox::Open(options_, env, clock_);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? std::move(*outbox) : nullptr;
  }
  // Stops the machine, lets the outbox's destructor run against dead
  // hardware, then leaves on disk only what had been made durable.
  void CutPowerAndRestore(std::unique_ptr<Outbox>& outbox) {
    env_.CutPower();
    vfs_->CutPower();
    outbox.reset();
    env_.RestoreDurableState();
    ASSERT_TRUE(vfs_->RestoreDurableState().ok());
  }
  std::set<std::string> ItemIds(Outbox& outbox) {
    std::set<std::string> ids;
    auto records = outbox.List({.limit = 100000});
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    if (records.ok()) {
      for (const StoredRecord& r : *records) ids.insert(r.item_id);
    }
    return ids;
  }
  std::string SpoolFile(const std::string& name) { return options_.dir + "/spool/" + name; }

  ScopedTempDir dir_;
  FakeClock clock_;
  FaultInjectionEnv env_{PosixEnv()};
  std::unique_ptr<FaultInjectionVfs> vfs_;
  OutboxOptions options_;
};

TEST_F(OutboxPowerCutTest, EveryFolderItMakesIsSyncedIntoItsParentTopDown) {
  options_.dir = dir_.path() + "/var/rvm/outbox";
  std::vector<std::string> synced;
  std::mutex mu;
  env_.SetHook([&](const std::string& op, const std::string& path) {
    std::lock_guard l(mu);
    if (op == "SyncDir") synced.push_back(path);
  });
  auto outbox = OpenOrDie(env_);
  ASSERT_NE(outbox, nullptr);
  env_.SetHook(nullptr);
  const std::vector<std::string> parents = {dir_.path(), dir_.path() + "/var",
                                            dir_.path() + "/var/rvm", options_.dir};
  ASSERT_GE(synced.size(), parents.size());
  EXPECT_EQ(std::vector<std::string>(synced.begin(), synced.begin() + 4), parents);
}

TEST_F(OutboxPowerCutTest, EveryAcknowledgedRecordAndImageSurvivesAPowerCut) {
  auto outbox = OpenOrDie(env_);
  std::vector<uint8_t> image = MakeImage(3000, 9);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> acknowledged;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        NewRecord r = MakeRecord("t" + std::to_string(t) + "-" + std::to_string(i));
        if (i % 2 == 0) r.evidence_jpeg = image;
        if (outbox->Append(r).ok()) {
          std::lock_guard l(mu);
          acknowledged.insert(r.item_id);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(acknowledged.size(), 100u);
  EXPECT_GT(vfs_->sync_count(), 0);
  CutPowerAndRestore(outbox);

  outbox = OpenOrDie(PosixEnv());
  EXPECT_EQ(ItemIds(*outbox), acknowledged);
  auto records = outbox->List({.limit = 1000});
  ASSERT_TRUE(records.ok());
  for (const StoredRecord& r : *records) {
    if (r.evidence == EvidenceState::kNone) continue;
    EXPECT_EQ(r.evidence, EvidenceState::kStored) << r.item_id;
    auto bytes = outbox->ReadEvidence(r.seq);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_EQ(*bytes, image);
  }
}

TEST_F(OutboxPowerCutTest, ACutAfterTheImageIsDurableButBeforeItsRowLeavesNoOrphanAndNoRecord) {
  auto outbox = OpenOrDie(env_);
  ASSERT_TRUE(outbox->Append(MakeRecord("before")).ok());
  // The image's directory entry is synced; the power fails under SQLite's
  // commit, and again before the failed append can clean up its image.
  env_.SetHook([&](const std::string& op, const std::string&) {
    if (op == "SyncDir") vfs_->CutPower();
    if (op == "RemoveFile") env_.CutPower();
  });
  std::vector<uint8_t> image = MakeImage(2000, 1);
  NewRecord r = MakeRecord("lost");
  r.evidence_jpeg = image;
  EXPECT_FALSE(outbox->Append(r).ok());  // never acknowledged
  env_.SetHook(nullptr);
  CutPowerAndRestore(outbox);
  ASSERT_TRUE(std::filesystem::exists(SpoolFile("lost.jpg"))) << "the image was durable";

  outbox = OpenOrDie(PosixEnv());
  EXPECT_FALSE(std::filesystem::exists(SpoolFile("lost.jpg")));
  EXPECT_EQ(ItemIds(*outbox), std::set<std::string>{"before"});
  // The item was never acknowledged, so the machine may decide it again.
  auto again = outbox->Append(r);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->already_present);
}

TEST_F(OutboxPowerCutTest, ACutBeforeTheImageNameIsSyncedLosesTheImageAndTheUnacknowledgedRecord) {
  auto outbox = OpenOrDie(env_);
  env_.SetHook([&](const std::string& op, const std::string&) {
    if (op == "SyncDir") {
      env_.CutPower();
      vfs_->CutPower();
    }
  });
  std::vector<uint8_t> image = MakeImage(2000, 1);
  NewRecord r = MakeRecord("lost");
  r.evidence_jpeg = image;
  EXPECT_FALSE(outbox->Append(r).ok());
  env_.SetHook(nullptr);
  CutPowerAndRestore(outbox);
  EXPECT_FALSE(std::filesystem::exists(SpoolFile("lost.jpg")));
  EXPECT_FALSE(std::filesystem::exists(SpoolFile("lost.jpg.tmp")));
  outbox = OpenOrDie(PosixEnv());
  EXPECT_TRUE(ItemIds(*outbox).empty());
}

TEST_F(OutboxPowerCutTest, AnAppendAfterAFailedCommitIsRefusedUntilReopen) {
  auto outbox = OpenOrDie(env_);
  vfs_->CutPower();
  EXPECT_EQ(outbox->Append(MakeRecord("a")).status().code(), StatusCode::kIoError);
  ASSERT_TRUE(vfs_->RestoreDurableState().ok());  // power back, same process
  // The connection saw an I/O error mid-commit: it stays refused (sticky).
  EXPECT_EQ(outbox->Append(MakeRecord("b")).status().code(), StatusCode::kIoError);
  outbox.reset();
  outbox = OpenOrDie(PosixEnv());
  EXPECT_TRUE(outbox->Append(MakeRecord("b")).ok());
}

TEST_F(OutboxPowerCutTest, AFailedCommitStopsAcceptingAndSaysWhyUntilReopen) {
  auto outbox = OpenOrDie(env_);
  ASSERT_TRUE(outbox->Append(MakeRecord("before")).ok());
  ASSERT_TRUE(outbox->accepting());
  vfs_->FailSyncs(true);
  EXPECT_EQ(outbox->Append(MakeRecord("a")).status().code(), StatusCode::kIoError);
  vfs_->FailSyncs(false);  // the device answers again; the connection's state is still unknown
  EXPECT_FALSE(outbox->accepting()) << "a sticky error refuses every item: not accepting";
  auto stats = outbox->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_FALSE(stats->accepting);
  EXPECT_NE(stats->not_accepting_reason.find("a commit failed"), std::string::npos)
      << stats->not_accepting_reason;
  ASSERT_TRUE(outbox->RefreshSpace().ok());
  EXPECT_FALSE(outbox->accepting()) << "room on disk does not clear it";
  // A deposit is refused with the commit's error, and so is a summary.
  EXPECT_EQ(outbox->Append(MakeRecord("b")).status().code(), StatusCode::kIoError);
  NewRecord summary = MakeRecord("session-s1");
  summary.kind = RecordKind::kSession;
  EXPECT_EQ(outbox->Append(summary).status().code(), StatusCode::kIoError);

  outbox.reset();
  outbox = OpenOrDie(env_);
  EXPECT_TRUE(outbox->accepting());
  stats = outbox->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_TRUE(stats->accepting);
  EXPECT_EQ(stats->not_accepting_reason, "");
  EXPECT_TRUE(outbox->Append(MakeRecord("b")).ok());
}

// A failed fsync of the COMMIT does not mean the commit is lost: the WAL
// frames were written, and a crash now (the disk as it is, copied) replays
// them at the next open. The row then refers to its image, which must still
// be there: it is kept, not deleted with the failed batch.
TEST_F(OutboxPowerCutTest, AnImageWhoseCommitFailedToSyncIsKeptForTheRowThatMayComeBack) {
  auto outbox = OpenOrDie(env_);
  ASSERT_TRUE(outbox->Append(MakeRecord("before")).ok());
  NewRecord r = MakeRecord("unsure");
  const std::vector<uint8_t> jpeg = MakeImage(2000, 3);
  r.evidence_jpeg = jpeg;
  vfs_->FailSyncs(true);
  EXPECT_EQ(outbox->Append(r).status().code(), StatusCode::kIoError);
  EXPECT_TRUE(std::filesystem::exists(SpoolFile("unsure.jpg"))) << "the image stays";

  // The machine stops here: copy the disk as it is (the -shm index is
  // rebuilt from the WAL on open), then open the copy.
  const std::string copy = dir_.path() + "/after-crash";
  std::filesystem::create_directories(copy + "/spool");
  for (const char* f : {"outbox.db", "outbox.db-wal"}) {
    std::filesystem::copy_file(options_.dir + "/" + f, copy + "/" + f);
  }
  for (const auto& e : std::filesystem::directory_iterator(options_.dir + "/spool")) {
    std::filesystem::copy_file(e.path(), copy + "/spool/" + e.path().filename().string());
  }
  vfs_->FailSyncs(false);
  OutboxOptions o;
  o.dir = copy;
  auto reopened = Outbox::Open(o, PosixEnv(), clock_);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto records = (*reopened)->List({.limit = 10});
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u) << "the commit reached the WAL and was replayed";
  const StoredRecord& back = (*records)[1];
  EXPECT_EQ(back.item_id, "unsure");
  EXPECT_EQ(back.evidence, EvidenceState::kStored) << "not 'missing'";
  auto image = (*reopened)->ReadEvidence(back.seq);
  ASSERT_TRUE(image.ok()) << image.status().ToString();
  EXPECT_EQ(*image, jpeg);

  // And where the commit did not survive (the original, closed cleanly,
  // keeps only what its checkpoint had), recovery removes the image.
  outbox.reset();
  outbox = OpenOrDie(env_);
  EXPECT_EQ(ItemIds(*outbox), (std::set<std::string>{"before"}));
  EXPECT_FALSE(std::filesystem::exists(SpoolFile("unsure.jpg"))) << "no orphan is left";
}

// The control: the harness does lose what was not synced. A commit made with
// synchronous=OFF is gone after the cut, while an earlier synced one stays.
TEST_F(OutboxPowerCutTest, AnUnsyncedCommitIsLostAtAPowerCut) {
  std::string path = dir_.path() + "/control.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            vfs_->name().c_str()),
            SQLITE_OK);
  auto exec = [&](const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr); };
  ASSERT_EQ(exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                 "CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)"),
            SQLITE_OK);
  ASSERT_EQ(exec("PRAGMA synchronous = OFF; INSERT INTO t VALUES (2)"), SQLITE_OK);
  vfs_->CutPower();
  sqlite3_close_v2(db);
  ASSERT_TRUE(vfs_->RestoreDurableState().ok());

  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT group_concat(v) FROM t", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "1");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace rvm::outbox
