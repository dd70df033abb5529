#include "outbox/space.h"

#include <gtest/gtest.h>

namespace rvm::outbox {
namespace {

TEST(SpaceTest, FreelistPagesCountAsFreeAndTheSpoolAsUsed) {
  SpaceUsage u{.db_bytes = 100, .db_free_bytes = 30, .wal_bytes = 20, .spool_bytes = 50};
  EXPECT_EQ(u.RecordBytes(), 90);
  EXPECT_EQ(u.UsedBytes(), 140);
}

TEST(SpaceTest, RoomNowIsBoundedByTheQuotaAndByTheDisk) {
  SpaceUsage u{.db_bytes = 100, .wal_bytes = 0, .spool_bytes = 100};
  EXPECT_EQ(RoomNow(u, {.quota_bytes = 1000, .disk_free_bytes = 5000}), 800);
  EXPECT_EQ(RoomNow(u, {.quota_bytes = 1000, .disk_free_bytes = 300}), 300);
}

TEST(SpaceTest, DroppableEvidenceCountsAsRoomForRecords) {
  SpaceUsage u{.db_bytes = 100, .spool_bytes = 700};
  SpaceLimits l{.quota_bytes = 1000, .disk_free_bytes = 100};
  EXPECT_EQ(RoomNow(u, l), 100);
  EXPECT_EQ(RoomForRecords(u, l), 800);
  EXPECT_TRUE(HasRoomToAccept(u, l, 800));
  EXPECT_FALSE(HasRoomToAccept(u, l, 801));
}

TEST(SpaceTest, EvidenceToFreeIsTheShortfallOrZero) {
  SpaceUsage u{.db_bytes = 100};
  SpaceLimits l{.quota_bytes = 1000, .disk_free_bytes = 1'000'000};
  EXPECT_EQ(EvidenceBytesToFree(u, l, 100, 500), 0);
  EXPECT_EQ(EvidenceBytesToFree(u, l, 400, 600), 100);
}

TEST(SpaceTest, ARowIsChargedTwiceForTheWalAndTheDatabase) {
  EXPECT_GT(EstimateRowBytes(1000, 40), 2000);
  EXPECT_LT(EstimateRowBytes(1000, 40), 3000);
}

}  // namespace
}  // namespace rvm::outbox
