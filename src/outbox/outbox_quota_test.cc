// Retention under a byte quota and a full disk: evidence goes first (delivered
// records' before undelivered ones'), records never; when records no longer
// fit the outbox stops accepting, and it accepts again once room returns.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include "outbox/fault_injection_env.h"
#include "outbox/fault_injection_vfs.h"
#include "outbox/outbox.h"
#include "outbox/test_util.h"

namespace rvm::outbox {
namespace {

class OutboxQuotaTest : public ::testing::Test {
 protected:
  OutboxOptions SmallOptions() {
    OutboxOptions o;
    o.dir = dir_.path() + "/outbox";
    o.wal_checkpoint_bytes = 64 << 10;
    o.reserve_bytes = 32 << 10;
    o.quota_bytes = 512 << 10;
    return o;
  }
  std::unique_ptr<Outbox> OpenOrDie(const OutboxOptions& o, Env& env = PosixEnv()) {
    auto outbox = Outbox::Open(o, env, clock_);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? std::move(*outbox) : nullptr;
  }
  static NewRecord BigRecord(const std::string& id) {
    NewRecord r = MakeRecord(id);
    r.payload_json = R"({"item_id":")" + id + R"(","note":")" + std::string(4000, 'x') + "\"}";
    return r;
  }
  EvidenceState EvidenceOf(Outbox& outbox, int64_t seq) { return outbox.Get(seq)->evidence; }

  ScopedTempDir dir_;
  FakeClock clock_;
};

TEST_F(OutboxQuotaTest, DeliveredRecordsLoseTheirImagesBeforeUndeliveredOnes) {
  auto outbox = OpenOrDie(SmallOptions());
  std::vector<uint8_t> image = MakeImage(40 << 10, 3);
  std::vector<int64_t> seqs;
  auto append = [&](const std::string& id) {
    NewRecord r = MakeRecord(id);
    r.evidence_jpeg = image;
    auto a = outbox->Append(r);
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    seqs.push_back(a.ok() ? a->seq : -1);
  };
  for (int i = 0; i < 6; ++i) append("first-" + std::to_string(i));
  ASSERT_TRUE(outbox->MarkDelivered({seqs[3], seqs[4]}).ok());
  for (int i = 0; i < 6; ++i) append("more-" + std::to_string(i));
  // 12 images of 40 KiB do not fit in 512 KiB beside the database: the
  // delivered records' images went first, every undelivered one is intact.
  EXPECT_EQ(EvidenceOf(*outbox, seqs[3]), EvidenceState::kDropped);
  EXPECT_EQ(EvidenceOf(*outbox, seqs[4]), EvidenceState::kDropped);
  for (int i : {0, 1, 2, 5, 6, 7, 8, 9, 10, 11}) {
    EXPECT_EQ(EvidenceOf(*outbox, seqs[i]), EvidenceState::kStored) << i;
  }
  // Keep going: now undelivered images go too, oldest first; records stay.
  for (int i = 0; i < 6; ++i) append("late-" + std::to_string(i));
  EXPECT_EQ(EvidenceOf(*outbox, seqs[0]), EvidenceState::kDropped);
  EXPECT_EQ(EvidenceOf(*outbox, seqs.back()), EvidenceState::kStored);
  auto stats = outbox->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending + stats->delivered, 18);
  EXPECT_LE(stats->bytes_used, SmallOptions().quota_bytes);
  EXPECT_TRUE(stats->accepting);
  EXPECT_EQ(outbox->ReadEvidence(seqs[0]).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*outbox->ReadEvidence(seqs.back()), image);
}

TEST_F(OutboxQuotaTest, FullQuotaStopsAcceptingWithoutLosingARecordAndPurgeResumesIt) {
  auto outbox = OpenOrDie(SmallOptions());
  std::vector<int64_t> acknowledged;
  Status refusal;
  for (int i = 0; i < 1000 && refusal.ok(); ++i) {
    auto a = outbox->Append(BigRecord("r" + std::to_string(i)));
    if (a.ok()) {
      acknowledged.push_back(a->seq);
    } else {
      refusal = a.status();
    }
  }
  ASSERT_FALSE(refusal.ok()) << "the quota was never reached";
  EXPECT_EQ(refusal.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refusal.message().find("not accepting"), std::string::npos);
  EXPECT_FALSE(outbox->accepting());
  EXPECT_FALSE(outbox->Stats()->accepting);
  EXPECT_GT(acknowledged.size(), 20u);
  // Every acknowledged record is there; the refused one is not.
  EXPECT_EQ(outbox->Stats()->pending, static_cast<int64_t>(acknowledged.size()));
  EXPECT_EQ(outbox->Append(BigRecord("again")).status().code(), StatusCode::kResourceExhausted);

  // The uplink delivers, the operator purges: room returns, accepting resumes.
  ASSERT_TRUE(outbox->MarkDelivered(acknowledged).ok());
  ASSERT_TRUE(outbox->PurgeDelivered(clock_.WallMillis()).ok());
  ASSERT_TRUE(outbox->RefreshSpace().ok());
  EXPECT_TRUE(outbox->accepting());
  EXPECT_TRUE(outbox->Append(BigRecord("after-purge")).ok());
}

TEST_F(OutboxQuotaTest, SessionSummariesAreStoredWhileTheOutboxRefusesNewItems) {
  auto outbox = OpenOrDie(SmallOptions());
  int taken = 0;
  Status refusal;
  for (int i = 0; i < 1000 && refusal.ok(); ++i) {
    auto a = outbox->Append(BigRecord("r" + std::to_string(i)));
    if (a.ok()) {
      ++taken;
    } else {
      refusal = a.status();
    }
  }
  ASSERT_EQ(refusal.code(), StatusCode::kResourceExhausted) << "the quota was never reached";
  ASSERT_TRUE(outbox->RefreshSpace().ok());
  ASSERT_FALSE(outbox->accepting());
  EXPECT_EQ(outbox->Append(MakeRecord("small-item")).status().code(),
            StatusCode::kResourceExhausted)
      << "a new item, however small, is refused";
  // The items already taken are credited: their summary goes into the reserve.
  NewRecord summary = MakeRecord(SessionRecordId("full-session"));
  summary.kind = RecordKind::kSession;
  summary.payload_json =
      R"({"session_id":"full-session","items":[{"type":"plastic_bottle","points":10}]})";
  auto a = outbox->Append(summary);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(outbox->Get(a->seq)->kind, RecordKind::kSession);
  EXPECT_EQ(outbox->Stats()->pending, taken + 1);
}

TEST_F(OutboxQuotaTest, RetentionPurgesTheDeliveredBacklogOfAFullOutboxSoItAcceptsAgain) {
  auto outbox = OpenOrDie(SmallOptions());
  std::vector<int64_t> taken;
  for (int i = 0; i < 1000; ++i) {
    auto a = outbox->Append(BigRecord("r" + std::to_string(i)));
    if (!a.ok()) break;
    taken.push_back(a->seq);
  }
  ASSERT_FALSE(outbox->accepting());
  // Delivered, but not old: only the space rule can free them.
  ASSERT_TRUE(outbox->MarkDelivered(taken).ok());
  auto purged = outbox->ApplyRetention();
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, static_cast<int64_t>(taken.size()));
  EXPECT_TRUE(outbox->accepting());
  EXPECT_TRUE(outbox->Append(BigRecord("after-retention")).ok());
}

TEST_F(OutboxQuotaTest, AWalGrownBehindAReadersSnapshotIsReclaimedOnceTheReaderIsGone) {
  const OutboxOptions o = SmallOptions();
  auto outbox = OpenOrDie(o);
  ASSERT_TRUE(outbox->Append(BigRecord("first")).ok());
  const std::string wal = o.dir + "/outbox.db-wal";
  // A reader holds a snapshot (as a statistics query does): no checkpoint can
  // restart the WAL, so it grows past its checkpoint size and fills the quota.
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2((o.dir + "/outbox.db").c_str(), &reader, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT COUNT(*) FROM records", nullptr, nullptr, nullptr),
            SQLITE_OK);
  int acknowledged = 1;
  Status refusal;
  for (int i = 0; i < 1000 && refusal.ok(); ++i) {
    auto a = outbox->Append(BigRecord("r" + std::to_string(i)));
    if (a.ok()) {
      ++acknowledged;
    } else {
      refusal = a.status();
    }
  }
  ASSERT_EQ(refusal.code(), StatusCode::kResourceExhausted) << "the quota was never reached";
  const auto grown = static_cast<int64_t>(std::filesystem::file_size(wal));
  EXPECT_GT(grown, 3 * o.wal_checkpoint_bytes) << "the reader kept the WAL from restarting";
  EXPECT_FALSE(outbox->accepting());

  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_close(reader), SQLITE_OK);
  // The records alone fit: the WAL is truncated, and the outbox accepts again
  // without anything delivered or purged.
  auto again = outbox->Append(BigRecord("after-reader"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(outbox->accepting());
  EXPECT_LE(static_cast<int64_t>(std::filesystem::file_size(wal)), o.wal_checkpoint_bytes);
  EXPECT_EQ(outbox->Stats()->pending, acknowledged + 1) << "no record was lost";
}

TEST_F(OutboxQuotaTest, AFullDiskUnderSqliteStopsAcceptingUntilSpaceReturns) {
  static std::atomic<int> counter{0};
  auto vfs = FaultInjectionVfs::Register("rvm-quota-fault-" + std::to_string(counter++));
  ASSERT_TRUE(vfs.ok());
  OutboxOptions o = SmallOptions();
  o.quota_bytes = 64 << 20;  // the disk fills up long before the quota
  o.sqlite_vfs = (*vfs)->name();
  auto outbox = OpenOrDie(o);
  (*vfs)->SetSpaceLimit(160 << 10);
  std::vector<std::string> acknowledged;
  Status refusal;
  for (int i = 0; i < 1000 && refusal.ok(); ++i) {
    std::string id = "r" + std::to_string(i);
    auto a = outbox->Append(BigRecord(id));
    if (a.ok()) {
      acknowledged.push_back(id);
    } else {
      refusal = a.status();
    }
  }
  ASSERT_FALSE(refusal.ok()) << "the disk never filled";
  EXPECT_EQ(refusal.code(), StatusCode::kResourceExhausted) << refusal.ToString();
  EXPECT_FALSE(outbox->accepting());
  EXPECT_GT(acknowledged.size(), 5u);

  (*vfs)->SetSpaceLimit(-1);
  ASSERT_TRUE(outbox->RefreshSpace().ok());
  EXPECT_TRUE(outbox->accepting());
  auto a = outbox->Append(BigRecord("after"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto all = outbox->List({.limit = 10000});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), acknowledged.size() + 1);
  for (size_t i = 0; i < acknowledged.size(); ++i) EXPECT_EQ((*all)[i].item_id, acknowledged[i]);
  outbox.reset();
}

TEST_F(OutboxQuotaTest, AnImageLargerThanTheFreeDiskIsDroppedButTheRecordIsStored) {
  FaultInjectionEnv env(PosixEnv());
  env.SetSpaceLimit(100 << 10);
  auto outbox = OpenOrDie(SmallOptions(), env);
  std::vector<uint8_t> image = MakeImage(200 << 10, 1);
  NewRecord r = MakeRecord("item-1");
  r.evidence_jpeg = image;
  auto a = outbox->Append(r);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto stored = outbox->Get(a->seq);
  EXPECT_EQ(stored->evidence, EvidenceState::kDropped);
  EXPECT_EQ(stored->evidence_bytes, 200 << 10);
  EXPECT_TRUE(env.ListDir(SmallOptions().dir + "/spool")->empty());
}

TEST_F(OutboxQuotaTest, ASpoolWriteFailingWithNoSpaceDropsTheImageButStoresTheRecord) {
  FaultInjectionEnv env(PosixEnv());
  auto outbox = OpenOrDie(SmallOptions(), env);
  env.FailNextWrites(1);  // the disk filled up behind the outbox's back
  std::vector<uint8_t> image = MakeImage(1000, 1);
  NewRecord r = MakeRecord("item-1");
  r.evidence_jpeg = image;
  auto a = outbox->Append(r);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(outbox->Get(a->seq)->evidence, EvidenceState::kDropped);
  EXPECT_TRUE(env.ListDir(SmallOptions().dir + "/spool")->empty());
  NewRecord next = MakeRecord("item-2");
  next.evidence_jpeg = image;
  auto b = outbox->Append(next);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(outbox->Get(b->seq)->evidence, EvidenceState::kStored);
}

}  // namespace
}  // namespace rvm::outbox
