#include "platform_sim/sim_store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

namespace rvm::sim {
namespace {

using nlohmann::json;

class SimStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SimStore::Open(":memory:");
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(store_
                    ->Seed({{1, "key-1", "RVM-1", "offline"}, {2, "key-2", "RVM-2", "blocked"}},
                           {{1, "a@example.com", "secret123", "A", "operator"}})
                    .ok());
  }

  StoredResponse Respond(int64_t seq) { return {201, json{{"id", seq}}.dump()}; }

  std::unique_ptr<SimStore> store_;
};

TEST_F(SimStoreTest, SeededMachinesAreFoundByKeyAndId) {
  auto m = store_->MachineByKey("key-2");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->id, 2);
  EXPECT_EQ(m->status, "blocked");
  EXPECT_EQ(m->uuid, "00000000-0000-4000-8000-000000000002");
  EXPECT_FALSE(store_->MachineByKey("nope").has_value());
  EXPECT_TRUE(store_->MachineById(1).has_value());
}

TEST_F(SimStoreTest, KeyedRecordIsStoredOnceAndDuplicatesGetTheFirstResponse) {
  auto respond = [&](int64_t seq) { return Respond(seq); };
  auto first =
      store_->InsertRecord(RecordKind::kDeposit, {1, "item-1", json{{"n", 1}}, 10}, respond);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate);
  auto again =
      store_->InsertRecord(RecordKind::kDeposit, {1, "item-1", json{{"n", 2}}, 11}, [](int64_t) {
        return StoredResponse{500, "unused"};
      });
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->response.status, 201);
  EXPECT_EQ(again->response.body, first->response.body);
  const json rows = store_->ListRecords(RecordKind::kDeposit);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["payload"]["n"], 1);
  EXPECT_EQ(store_->DuplicateCounts()["deposits"], 1);
  EXPECT_EQ(store_->StoredCounts()["deposits"], 1);
}

TEST_F(SimStoreTest, KeysAreScopedPerRecordKindAndUnkeyedRecordsAreNeverDeduplicated) {
  auto respond = [&](int64_t seq) { return Respond(seq); };
  ASSERT_TRUE(store_->InsertRecord(RecordKind::kDeposit, {1, "k", json{}, 1}, respond).ok());
  auto upload = store_->InsertRecord(RecordKind::kUpload, {1, "k", json{}, 1}, respond);
  ASSERT_TRUE(upload.ok());
  EXPECT_FALSE(upload->duplicate);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_->InsertRecord(RecordKind::kHeartbeat, {1, "", json{}, 1}, respond).ok());
  }
  EXPECT_EQ(store_->StoredCounts()["heartbeats"], 3);
}

TEST_F(SimStoreTest, SyncSkipsKnownSessionsAndUnknownUsersInArrayOrder) {
  std::vector<OfflineTransaction> batch = {
      {"s-1", 1, "2026-01-01T00:00:00Z", json::array({{{"type", "pet"}, {"points", 5}}})},
      {"s-2", 99, "2026-01-01T00:00:01Z", json::array()},
      {"s-3", -1, "2026-01-01T00:00:02Z", json::array({{{"type", "can"}, {"points", 3}}})},
  };
  ASSERT_TRUE(store_->Seed({}, {{-1, "donation@x", "", "Donation", "system"}}).ok());
  auto out = store_->SyncTransactions(1, batch, /*check_users=*/true, "bearer", 100);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->stored, 2);
  EXPECT_EQ(out->synced_count, 2);
  ASSERT_EQ(out->unknown_user.size(), 1u);
  EXPECT_EQ(out->unknown_user[0].user_id, 99);
  EXPECT_EQ(store_->UserById(1)->points_balance, 5);

  auto retry = store_->SyncTransactions(1, batch, /*check_users=*/true, "bearer", 200);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->stored, 0);
  EXPECT_EQ(retry->duplicates, 2);
  EXPECT_EQ(retry->synced_count, 2);
  const json rows = store_->ListTransactions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["session_id"], "s-1");
  EXPECT_EQ(rows[1]["session_id"], "s-3");
  EXPECT_EQ(store_->DuplicateCounts()["transactions"], 2);
  EXPECT_EQ(store_->UserById(1)->points_balance, 5);
}

TEST_F(SimStoreTest, CommandsAreDeliveredAtMostOnce) {
  ASSERT_TRUE(store_->QueueCommand(1, "RESTART", nullptr, 1000).ok());
  ASSERT_TRUE(store_->QueueCommand(1, "CAPTURE_IMAGE", json{{"x", 1}}, 1001).ok());
  ASSERT_TRUE(store_->QueueCommand(2, "REBOOT", nullptr, 1001).ok());
  auto first = store_->TakeCommands(1, 2000, 600'000);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0]["action"], "RESTART");
  EXPECT_EQ((*first)[1]["payload"]["x"], 1);
  auto second = store_->TakeCommands(1, 3000, 600'000);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->empty());
  const json listed = store_->ListCommands();
  EXPECT_EQ(listed[0]["state"], "delivered");
  EXPECT_EQ(listed[2]["state"], "queued");
}

TEST_F(SimStoreTest, CommandQueueExpiresWhenItsNewestCommandIsOlderThanTheTtl) {
  ASSERT_TRUE(store_->QueueCommand(1, "RESTART", nullptr, 0).ok());
  auto taken = store_->TakeCommands(1, 600'001, 600'000);
  ASSERT_TRUE(taken.ok());
  EXPECT_TRUE(taken->empty());
  EXPECT_EQ(store_->ListCommands()[0]["state"], "expired");
}

TEST_F(SimStoreTest, RevokedTokensStayKnownButMarkedRevoked) {
  auto token = store_->IssueToken(1, 5);
  ASSERT_TRUE(token.ok());
  EXPECT_NE(token->find('|'), std::string::npos);
  EXPECT_EQ(token->size() - token->find('|') - 1, 40u);
  ASSERT_TRUE(store_->LookupToken(*token).has_value());
  EXPECT_FALSE(store_->LookupToken(*token)->revoked);
  EXPECT_EQ(store_->RevokeAllTokens(), 1);
  EXPECT_TRUE(store_->LookupToken(*token)->revoked);
  EXPECT_FALSE(store_->LookupToken("1|nope").has_value());
}

TEST_F(SimStoreTest, ClearDataKeepsMachinesUsersAndTokens) {
  auto token = store_->IssueToken(1, 5);
  ASSERT_TRUE(store_
                  ->InsertRecord(RecordKind::kDeposit, {1, "k", json{}, 1},
                                 [&](int64_t seq) { return Respond(seq); })
                  .ok());
  ASSERT_TRUE(store_->ClearData().ok());
  EXPECT_EQ(store_->StoredCounts()["deposits"], 0);
  auto again = store_->InsertRecord(RecordKind::kDeposit, {1, "k", json{}, 1},
                                    [&](int64_t seq) { return Respond(seq); });
  EXPECT_FALSE(again->duplicate);
  EXPECT_TRUE(store_->MachineById(1).has_value());
  EXPECT_TRUE(store_->LookupToken(*token).has_value());
}

TEST(SimStoreFileTest, RecordsSurviveReopeningAFileDatabase) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("sim_store_test_" + std::to_string(getpid()) + ".db");
  {
    auto s = SimStore::Open(path.string());
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Seed({{1, "k", "n", "offline"}}, {}).ok());
    ASSERT_TRUE((*s)->InsertRecord(RecordKind::kDeposit, {1, "item", json{}, 1},
                                   [](int64_t) {
                                     return StoredResponse{201, "{}"};
                                   })
                    .ok());
  }
  auto s = SimStore::Open(path.string());
  ASSERT_TRUE(s.ok());
  auto dup = (*s)->InsertRecord(RecordKind::kDeposit, {1, "item", json{}, 2}, [](int64_t) {
    return StoredResponse{201, "{}"};
  });
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  s->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

TEST(SimStoreFileTest, UnopenableDatabaseNamesThePath) {
  auto s = SimStore::Open("/nonexistent-dir/sub/sim.db");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("/nonexistent-dir/sub/sim.db"), std::string::npos);
}

}  // namespace
}  // namespace rvm::sim
