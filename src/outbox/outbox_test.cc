#include "outbox/outbox.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "outbox/test_util.h"

namespace rvm::outbox {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  OutboxOptions Options() {
    OutboxOptions o;
    o.dir = dir_.path() + "/outbox";
    return o;
  }
  std::unique_ptr<Outbox> OpenOrDie(const OutboxOptions& o) {
    auto outbox = Outbox::Open(o, PosixEnv(), clock_);
    EXPECT_TRUE(outbox.ok()) << outbox.status().ToString();
    return outbox.ok() ? std::move(*outbox) : nullptr;
  }
  int64_t AppendOrDie(Outbox& outbox, const NewRecord& r) {
    auto appended = outbox.Append(r);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    return appended.ok() ? appended->seq : -1;
  }

  ScopedTempDir dir_;
  FakeClock clock_;
};

TEST_F(OutboxTest, AppendedRecordIsReadBackWithItsFields) {
  auto outbox = OpenOrDie(Options());
  NewRecord r = MakeRecord("item-1");
  r.kind = RecordKind::kSession;
  int64_t seq = AppendOrDie(*outbox, r);
  auto stored = outbox->Get(seq);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->item_id, "item-1");
  EXPECT_EQ(stored->kind, RecordKind::kSession);
  EXPECT_EQ(stored->machine_id, "rvm-1");
  EXPECT_EQ(stored->payload_json, r.payload_json);
  EXPECT_EQ(stored->created_ms, clock_.WallMillis());
  EXPECT_EQ(stored->state, RecordState::kPending);
  EXPECT_EQ(stored->evidence, EvidenceState::kNone);
  EXPECT_EQ(stored->attempts, 0);
}

TEST_F(OutboxTest, SecondAppendOfTheSameItemIdReturnsTheExistingSeqAndStoresNothing) {
  auto outbox = OpenOrDie(Options());
  int64_t first = AppendOrDie(*outbox, MakeRecord("item-1"));
  NewRecord again = MakeRecord("item-1");
  again.payload_json = R"({"changed":true})";
  auto second = outbox->Append(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->seq, first);
  EXPECT_TRUE(second->already_present);
  EXPECT_EQ(outbox->Get(first)->payload_json, MakeRecord("item-1").payload_json);
  EXPECT_EQ(outbox->Stats()->pending, 1);
}

TEST_F(OutboxTest, SeqFollowsAppendOrderAndSurvivesReopen) {
  std::vector<int64_t> seqs;
  {
    auto outbox = OpenOrDie(Options());
    for (int i = 0; i < 5; ++i)
      seqs.push_back(AppendOrDie(*outbox, MakeRecord("a" + std::to_string(i))));
  }
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
  EXPECT_EQ(std::adjacent_find(seqs.begin(), seqs.end()), seqs.end());
  auto outbox = OpenOrDie(Options());
  int64_t next = AppendOrDie(*outbox, MakeRecord("b"));
  EXPECT_GT(next, seqs.back());
  auto pending = outbox->NextPending(100, clock_.WallMillis());
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*pending)[i].item_id, "a" + std::to_string(i));
}

TEST_F(OutboxTest, ConcurrentAppendsAreGroupCommittedAndKeepEachThreadsOrder) {
  auto outbox = OpenOrDie(Options());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 100;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto a = outbox->Append(MakeRecord("t" + std::to_string(t) + "-" + std::to_string(i),
                                           "rvm-" + std::to_string(t)));
        seqs[t].push_back(a.ok() ? a->seq : -1);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& s : seqs) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_FALSE(all.contains(-1));
  auto stats = outbox->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->appended, kThreads * kPerThread);
  EXPECT_EQ(stats->pending, kThreads * kPerThread);
  // Appends that queue behind a commit share the next one.
  EXPECT_LT(stats->group_commits, kThreads * kPerThread);
}

TEST_F(OutboxTest, ABatchAppendCommitsItsRecordsInOrderInOneTransaction) {
  auto outbox = OpenOrDie(Options());
  AppendOrDie(*outbox, MakeRecord("before"));
  std::vector<NewRecord> batch;
  std::vector<std::vector<uint8_t>> images;
  for (int i = 0; i < 20; ++i) images.push_back(MakeImage(1000 + i, static_cast<uint8_t>(i)));
  for (int i = 0; i < 20; ++i) {
    batch.push_back(MakeRecord("b-" + std::to_string(i)));
    if (i % 2 == 0) batch.back().evidence_jpeg = images[i];
  }
  batch.push_back(MakeRecord("before"));  // already stored: answers with its seq
  batch.push_back(MakeRecord("b-3"));     // a repeat inside the batch
  const int64_t commits_before = outbox->Stats()->group_commits;
  auto appended = outbox->AppendBatch(batch);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  ASSERT_EQ(appended->size(), batch.size());
  EXPECT_EQ(outbox->Stats()->group_commits, commits_before + 1);
  for (int i = 1; i < 20; ++i) EXPECT_EQ((*appended)[i].seq, (*appended)[i - 1].seq + 1);
  EXPECT_TRUE((*appended)[20].already_present);
  EXPECT_EQ((*appended)[20].seq, 1);
  EXPECT_TRUE((*appended)[21].already_present);
  EXPECT_EQ((*appended)[21].seq, (*appended)[3].seq);
  for (int i = 0; i < 20; i += 2) {
    auto image = outbox->ReadEvidence((*appended)[i].seq);
    ASSERT_TRUE(image.ok()) << image.status().ToString();
    EXPECT_EQ(*image, images[i]);
  }
  EXPECT_EQ(outbox->Stats()->pending, 21);
}

TEST_F(OutboxTest, ABatchWithAMalformedRecordStoresNothingAndNamesIt) {
  auto outbox = OpenOrDie(Options());
  std::vector<NewRecord> batch = {MakeRecord("ok-1"), MakeRecord("bad id/with slash")};
  auto appended = outbox->AppendBatch(batch);
  ASSERT_FALSE(appended.ok());
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(appended.status().message().find("record 1 of the batch"), std::string::npos)
      << appended.status().message();
  EXPECT_EQ(outbox->Stats()->pending, 0);
}

TEST_F(OutboxTest, BatchAndSingleAppendsFromManyThreadsAllCommitInEachThreadsOrder) {
  auto outbox = OpenOrDie(Options());
  constexpr int kThreads = 6;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round) {
        const std::string prefix = "t" + std::to_string(t) + "-" + std::to_string(round);
        if (t % 2 == 0) {
          std::vector<NewRecord> batch;
          for (int i = 0; i < 7; ++i) batch.push_back(MakeRecord(prefix + "-" + std::to_string(i)));
          auto a = outbox->AppendBatch(batch);
          ASSERT_TRUE(a.ok()) << a.status().ToString();
          for (const auto& x : *a) seqs[t].push_back(x.seq);
        } else {
          auto a = outbox->Append(MakeRecord(prefix));
          ASSERT_TRUE(a.ok()) << a.status().ToString();
          seqs[t].push_back(a->seq);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& s : seqs) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
    all.insert(s.begin(), s.end());
  }
  EXPECT_EQ(all.size(), size_t{3 * 70 + 3 * 10});
  EXPECT_EQ(outbox->Stats()->pending, 3 * 70 + 3 * 10);
}

TEST_F(OutboxTest, DuplicateItemIdsInOneGroupCommitGetOneSeq) {
  auto outbox = OpenOrDie(Options());
  std::vector<int64_t> seqs(16);
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      auto a = outbox->Append(MakeRecord("same"));
      seqs[t] = a.ok() ? a->seq : -1;
    });
  }
  for (auto& t : threads) t.join();
  for (int64_t s : seqs) EXPECT_EQ(s, seqs[0]);
  EXPECT_GT(seqs[0], 0);
  EXPECT_EQ(outbox->Stats()->pending, 1);
}

TEST_F(OutboxTest, EvidenceIsStoredInTheSpoolAndReadBackVerified) {
  OutboxOptions o = Options();
  auto outbox = OpenOrDie(o);
  std::vector<uint8_t> image = MakeImage(5000, 7);
  NewRecord r = MakeRecord("item-1");
  r.evidence_jpeg = image;
  int64_t seq = AppendOrDie(*outbox, r);
  EXPECT_TRUE(std::filesystem::exists(o.dir + "/spool/item-1.jpg"));
  auto stored = outbox->Get(seq);
  EXPECT_EQ(stored->evidence, EvidenceState::kStored);
  EXPECT_EQ(stored->evidence_file, "item-1.jpg");
  EXPECT_EQ(stored->evidence_bytes, 5000);
  auto read = outbox->ReadEvidence(seq);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, image);
}

TEST_F(OutboxTest, CorruptEvidenceIsReportedAsAChecksumMismatch) {
  OutboxOptions o = Options();
  auto outbox = OpenOrDie(o);
  std::vector<uint8_t> image = MakeImage(100, 1);
  NewRecord r = MakeRecord("item-1");
  r.evidence_jpeg = image;
  int64_t seq = AppendOrDie(*outbox, r);
  std::ofstream(o.dir + "/spool/item-1.jpg", std::ios::binary) << "garbage";
  auto read = outbox->ReadEvidence(seq);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.status().message().find("sha256 mismatch"), std::string::npos);
}

TEST_F(OutboxTest, RecordWithoutEvidenceHasNoneToRead) {
  auto outbox = OpenOrDie(Options());
  int64_t seq = AppendOrDie(*outbox, MakeRecord("item-1"));
  EXPECT_EQ(outbox->ReadEvidence(seq).status().code(), StatusCode::kNotFound);
}

TEST_F(OutboxTest, OrphanedSpoolFilesAreRemovedOnOpen) {
  OutboxOptions o = Options();
  std::vector<uint8_t> image = MakeImage(100, 1);
  {
    auto outbox = OpenOrDie(o);
    NewRecord r = MakeRecord("kept");
    r.evidence_jpeg = image;
    AppendOrDie(*outbox, r);
  }
  // What a crash between writing an image and committing its row leaves.
  std::ofstream(o.dir + "/spool/never-committed.jpg") << "x";
  std::ofstream(o.dir + "/spool/half-written.jpg.tmp") << "x";
  auto outbox = OpenOrDie(o);
  EXPECT_FALSE(std::filesystem::exists(o.dir + "/spool/never-committed.jpg"));
  EXPECT_FALSE(std::filesystem::exists(o.dir + "/spool/half-written.jpg.tmp"));
  EXPECT_TRUE(std::filesystem::exists(o.dir + "/spool/kept.jpg"));
}

TEST_F(OutboxTest, RowWhoseEvidenceVanishedIsFlaggedMissingNotDropped) {
  OutboxOptions o = Options();
  std::vector<uint8_t> image = MakeImage(100, 1);
  int64_t seq;
  {
    auto outbox = OpenOrDie(o);
    NewRecord r = MakeRecord("item-1");
    r.evidence_jpeg = image;
    seq = AppendOrDie(*outbox, r);
  }
  std::filesystem::remove(o.dir + "/spool/item-1.jpg");
  auto outbox = OpenOrDie(o);
  auto stored = outbox->Get(seq);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->evidence, EvidenceState::kMissing);
  EXPECT_EQ(stored->state, RecordState::kPending);
  EXPECT_EQ(outbox->Stats()->evidence_dropped, 1);
}

TEST_F(OutboxTest, ARecordWaitingForItsRetryHoldsBackTheRecordsBehindIt) {
  auto outbox = OpenOrDie(Options());
  int64_t a = AppendOrDie(*outbox, MakeRecord("a"));
  int64_t b = AppendOrDie(*outbox, MakeRecord("b"));
  int64_t now = clock_.WallMillis();
  // b is due but a is not: nothing is offered, so b cannot overtake a.
  ASSERT_TRUE(outbox->MarkRetry(a, now + 5000, "503 from platform").ok());
  EXPECT_TRUE(outbox->NextPending(10, now)->empty());
  // Once b alone waits, a is offered and b stops the list.
  ASSERT_TRUE(outbox->MarkRetry(b, now + 9000, "503 from platform").ok());
  auto due = outbox->NextPending(10, now + 5000);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].seq, a);
  due = outbox->NextPending(10, now + 9000);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].seq, a);
  EXPECT_EQ((*due)[0].attempts, 1);
  EXPECT_EQ((*due)[0].last_error, "503 from platform");
}

TEST_F(OutboxTest, DeliveredRecordsLeaveTheQueue) {
  auto outbox = OpenOrDie(Options());
  int64_t a = AppendOrDie(*outbox, MakeRecord("a"));
  int64_t b = AppendOrDie(*outbox, MakeRecord("b"));
  clock_.Advance(std::chrono::seconds(3));
  ASSERT_TRUE(outbox->MarkDelivered({a, b, 9999}).ok());
  EXPECT_TRUE(outbox->NextPending(10, clock_.WallMillis())->empty());
  auto stored = outbox->Get(a);
  EXPECT_EQ(stored->state, RecordState::kDelivered);
  EXPECT_EQ(stored->delivered_ms, clock_.WallMillis());
  EXPECT_EQ(outbox->Stats()->delivered, 2);
  EXPECT_EQ(outbox->MarkRetry(a, 0, "late").code(), StatusCode::kNotFound);
}

TEST_F(OutboxTest, ParkedRecordsWaitForReplay) {
  auto outbox = OpenOrDie(Options());
  int64_t a = AppendOrDie(*outbox, MakeRecord("a"));
  ASSERT_TRUE(outbox->Park(a, "422 detections.0.class").ok());
  EXPECT_TRUE(outbox->NextPending(10, clock_.WallMillis())->empty());
  EXPECT_EQ(outbox->Stats()->parked, 1);
  auto replayed = outbox->Replay();
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(*replayed, 1);
  auto due = outbox->NextPending(10, clock_.WallMillis());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].last_error, "422 detections.0.class");
}

TEST_F(OutboxTest, PurgeDeliveredRemovesOnlyOldDeliveredRecordsAndTheirImages) {
  OutboxOptions o = Options();
  auto outbox = OpenOrDie(o);
  std::vector<uint8_t> image = MakeImage(100, 1);
  NewRecord old_one = MakeRecord("old");
  old_one.evidence_jpeg = image;
  int64_t old_seq = AppendOrDie(*outbox, old_one);
  ASSERT_TRUE(outbox->MarkDelivered({old_seq}).ok());
  int64_t cutoff = clock_.WallMillis();
  clock_.Advance(std::chrono::hours(1));
  int64_t recent = AppendOrDie(*outbox, MakeRecord("recent"));
  ASSERT_TRUE(outbox->MarkDelivered({recent}).ok());
  int64_t pending = AppendOrDie(*outbox, MakeRecord("pending"));
  auto purged = outbox->PurgeDelivered(cutoff);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(outbox->Get(old_seq).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(o.dir + "/spool/old.jpg"));
  EXPECT_TRUE(outbox->Get(recent).ok());
  EXPECT_TRUE(outbox->Get(pending).ok());
  // Purging everything delivered still leaves the pending record.
  EXPECT_EQ(*outbox->PurgeDelivered(clock_.WallMillis()), 1);
  EXPECT_EQ(outbox->Stats()->pending, 1);
}

// A deposit of session `session`, as the decision recorder writes it.
NewRecord SessionDeposit(const std::string& item_id, const std::string& session) {
  NewRecord r = MakeRecord(item_id);
  r.payload_json = R"({"item_id":")" + item_id + R"(","session_id":")" + session +
                   R"(","accepted":true,"points":10})";
  return r;
}

NewRecord SessionSummaryRecord(const std::string& session) {
  NewRecord r = MakeRecord(SessionRecordId(session));
  r.kind = RecordKind::kSession;
  r.payload_json = R"({"session_id":")" + session + R"("})";
  return r;
}

TEST_F(OutboxTest, DepositsOfSessionsWithoutASummaryAreListedInSeqOrder) {
  auto outbox = OpenOrDie(Options());
  AppendOrDie(*outbox, SessionDeposit("a1", "A"));
  AppendOrDie(*outbox, SessionDeposit("b1", "B"));
  AppendOrDie(*outbox, SessionDeposit("a2", "A"));
  AppendOrDie(*outbox, MakeRecord("no-session"));
  AppendOrDie(*outbox, SessionSummaryRecord("A"));
  AppendOrDie(*outbox, SessionDeposit("c1", "C"));
  auto open = outbox->DepositsOfUnclosedSessions();
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  std::vector<std::string> ids;
  for (const auto& r : *open) ids.push_back(r.item_id);
  EXPECT_EQ(ids, (std::vector<std::string>{"b1", "c1"}));
  // Delivered or not makes no difference: the summary is what closes a session.
  ASSERT_TRUE(outbox->MarkDelivered({(*open)[0].seq}).ok());
  EXPECT_EQ(outbox->DepositsOfUnclosedSessions()->size(), 2u);
}

TEST_F(OutboxTest, PurgeKeepsDepositsOfUnsummarisedSessionsAndSummariesOfKeptDeposits) {
  auto outbox = OpenOrDie(Options());
  std::vector<int64_t> all;
  all.push_back(AppendOrDie(*outbox, SessionDeposit("a1", "A")));  // session A: summarised
  all.push_back(AppendOrDie(*outbox, SessionDeposit("b1", "B")));  // session B: still open
  all.push_back(AppendOrDie(*outbox, SessionSummaryRecord("A")));
  ASSERT_TRUE(outbox->MarkDelivered(all).ok());
  auto purged = outbox->PurgeDelivered(clock_.WallMillis());
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(*purged, 2) << "A's deposit and summary go; B's deposit stays";
  EXPECT_TRUE(outbox->Get(all[1]).ok());
  EXPECT_EQ(outbox->DepositsOfUnclosedSessions()->size(), 1u);

  // Session C's summary was delivered before its deposit: the summary stays
  // as long as the deposit does, so C never looks open again.
  const int64_t c1 = AppendOrDie(*outbox, SessionDeposit("c1", "C"));
  const int64_t summary_c = AppendOrDie(*outbox, SessionSummaryRecord("C"));
  ASSERT_TRUE(outbox->MarkDelivered({summary_c}).ok());
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(outbox->MarkDelivered({c1}).ok());
  EXPECT_EQ(*outbox->PurgeDelivered(clock_.WallMillis() - 1000), 0);
  EXPECT_TRUE(outbox->Get(summary_c).ok());
  EXPECT_EQ(*outbox->PurgeDelivered(clock_.WallMillis()), 2);
  ASSERT_EQ(outbox->DepositsOfUnclosedSessions()->size(), 1u);
  EXPECT_EQ(outbox->DepositsOfUnclosedSessions()->front().item_id, "b1");
}

TEST_F(OutboxTest, RetentionRemovesOnlyRecordsDeliveredLongerAgoThanItsAge) {
  OutboxOptions o = Options();
  o.retention_age = std::chrono::hours(24);
  auto outbox = OpenOrDie(o);
  const int64_t old_seq = AppendOrDie(*outbox, MakeRecord("old"));
  ASSERT_TRUE(outbox->MarkDelivered({old_seq}).ok());
  clock_.Advance(std::chrono::hours(23));
  const int64_t young = AppendOrDie(*outbox, MakeRecord("young"));
  ASSERT_TRUE(outbox->MarkDelivered({young}).ok());
  const int64_t pending = AppendOrDie(*outbox, MakeRecord("pending"));
  EXPECT_EQ(*outbox->ApplyRetention(), 0) << "nothing is 24 h old yet";
  clock_.Advance(std::chrono::hours(2));
  EXPECT_EQ(*outbox->ApplyRetention(), 1);
  EXPECT_EQ(outbox->Get(old_seq).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(outbox->Get(young).ok());
  EXPECT_TRUE(outbox->Get(pending).ok());
}

TEST_F(OutboxTest, ListFiltersByStateAndPagesBySeq) {
  auto outbox = OpenOrDie(Options());
  std::vector<int64_t> seqs;
  for (int i = 0; i < 5; ++i)
    seqs.push_back(AppendOrDie(*outbox, MakeRecord("i" + std::to_string(i))));
  ASSERT_TRUE(outbox->MarkDelivered({seqs[1], seqs[3]}).ok());
  auto delivered = outbox->List({.state = RecordState::kDelivered});
  ASSERT_EQ(delivered->size(), 2u);
  EXPECT_EQ((*delivered)[1].seq, seqs[3]);
  auto page = outbox->List({.after_seq = seqs[1], .limit = 2});
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, seqs[2]);
  EXPECT_EQ((*page)[1].seq, seqs[3]);
}

TEST_F(OutboxTest, StatsReportPendingBytesAndOldestPendingAge) {
  auto outbox = OpenOrDie(Options());
  std::vector<uint8_t> image = MakeImage(1000, 1);
  NewRecord r = MakeRecord("a");
  r.evidence_jpeg = image;
  AppendOrDie(*outbox, r);
  clock_.Advance(std::chrono::seconds(90));
  AppendOrDie(*outbox, MakeRecord("b"));
  auto stats = outbox->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, 2);
  EXPECT_EQ(stats->oldest_pending_age_ms, 90'000);
  EXPECT_EQ(stats->pending_bytes, static_cast<int64_t>(1000 + r.payload_json.size() +
                                                       MakeRecord("b").payload_json.size()));
  EXPECT_EQ(stats->evidence_stored, 1);
  EXPECT_TRUE(stats->accepting);
  EXPECT_GT(stats->bytes_used, 1000);
  EXPECT_EQ(stats->quota_bytes, Options().quota_bytes);
}

// Stats() reads on a connection of its own: while appends commit on other
// threads it sees each commit whole (counts never go backwards or exceed what
// was appended) and, once they are done, all of them.
TEST_F(OutboxTest, StatsBesideConcurrentAppendsSeeWholeCommitsAndEndUpExact) {
  auto outbox = OpenOrDie(Options());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<bool> done{false};
  std::vector<int64_t> seen;
  std::thread reader([&] {
    while (!done) {
      auto stats = outbox->Stats();
      ASSERT_TRUE(stats.ok()) << stats.status().ToString();
      seen.push_back(stats->pending);
      EXPECT_EQ(stats->delivered, 0);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(
            outbox->Append(MakeRecord("s" + std::to_string(t) + "-" + std::to_string(i))).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  done = true;
  reader.join();
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  for (int64_t n : seen) EXPECT_LE(n, kThreads * kPerThread);
  auto stats = outbox->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->pending, kThreads * kPerThread);
  EXPECT_EQ(stats->appended, kThreads * kPerThread);
}

TEST_F(OutboxTest, MalformedItemIdIsRejectedNamingTheField) {
  auto outbox = OpenOrDie(Options());
  auto r = outbox->Append(MakeRecord("../etc/passwd"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("item_id"), std::string::npos);
  EXPECT_FALSE(outbox->Append(MakeRecord("")).ok());
  NewRecord empty = MakeRecord("ok");
  empty.payload_json.clear();
  EXPECT_NE(outbox->Append(empty).status().message().find("payload"), std::string::npos);
}

TEST_F(OutboxTest, ANewerSchemaVersionIsRefused) {
  OutboxOptions o = Options();
  { OpenOrDie(o); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((o.dir + "/outbox.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 7", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto outbox = Outbox::Open(o, PosixEnv(), clock_);
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(outbox.status().message().find("schema version 7"), std::string::npos);
}

TEST_F(OutboxTest, ASecondWriterOnTheSameDirectoryIsRefused) {
  OutboxOptions o = Options();
  auto first = OpenOrDie(o);
  auto second = Outbox::Open(o, PosixEnv(), clock_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("LOCK"), std::string::npos);
}

TEST_F(OutboxTest, ReadOnlyOpenSeesRecordsBesideTheWriterAndRefusesChanges) {
  OutboxOptions o = Options();
  auto writer = OpenOrDie(o);
  AppendOrDie(*writer, MakeRecord("a"));
  OutboxOptions ro = o;
  ro.read_only = true;
  auto reader = OpenOrDie(ro);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Stats()->pending, 1);
  EXPECT_EQ(reader->List({})->size(), 1u);
  EXPECT_EQ(reader->Append(MakeRecord("b")).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(reader->Replay().ok());
}

TEST_F(OutboxTest, ReadOnlyOpenOfAnEmptyDirectoryIsNotFound) {
  OutboxOptions o = Options();
  o.read_only = true;
  auto outbox = Outbox::Open(o, PosixEnv(), clock_);
  EXPECT_EQ(outbox.status().code(), StatusCode::kNotFound);
}

TEST_F(OutboxTest, AnOpenThatMustNotCreateFindsNoOutboxAndCreatesNothing) {
  OutboxOptions o = Options();
  o.create_if_missing = false;
  auto outbox = Outbox::Open(o, PosixEnv(), clock_);
  ASSERT_FALSE(outbox.ok());
  EXPECT_EQ(outbox.status().code(), StatusCode::kNotFound);
  EXPECT_NE(outbox.status().message().find("no outbox.db"), std::string::npos)
      << outbox.status().message();
  EXPECT_FALSE(std::filesystem::exists(o.dir)) << "not even the directory";
  // Once an outbox is there, the same options open it.
  OpenOrDie(Options()).reset();
  EXPECT_TRUE(OpenOrDie(o) != nullptr);
}

TEST_F(OutboxTest, QuotaBelowTheMinimumIsRejectedAtOpen) {
  OutboxOptions o = Options();
  o.quota_bytes = 1000;
  auto outbox = Outbox::Open(o, PosixEnv(), clock_);
  ASSERT_FALSE(outbox.ok());
  EXPECT_NE(outbox.status().message().find("quota_bytes 1000"), std::string::npos);
}

}  // namespace
}  // namespace rvm::outbox
