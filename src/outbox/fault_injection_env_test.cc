#include "outbox/fault_injection_env.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "outbox/test_util.h"

namespace rvm::outbox {
namespace {

class FaultInjectionEnvTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) { return dir_.path() + "/" + name; }
  bool Exists(const std::string& name) { return std::filesystem::exists(Path(name)); }
  uint64_t Size(const std::string& name) { return std::filesystem::file_size(Path(name)); }

  ScopedTempDir dir_;
  FaultInjectionEnv env_{PosixEnv()};
};

TEST_F(FaultInjectionEnvTest, AFileWhoseNameWasNeverSyncedIsGoneAfterAPowerCut) {
  ASSERT_TRUE(env_.WriteFile(Path("a"), "data").ok());
  ASSERT_TRUE(env_.SyncFile(Path("a")).ok());
  env_.CutPower();
  env_.RestoreDurableState();
  EXPECT_FALSE(Exists("a"));
}

TEST_F(FaultInjectionEnvTest, ASyncedFileWithASyncedNameSurvives) {
  ASSERT_TRUE(env_.WriteFile(Path("a"), "data").ok());
  ASSERT_TRUE(env_.SyncFile(Path("a")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  env_.CutPower();
  env_.RestoreDurableState();
  ASSERT_TRUE(Exists("a"));
  EXPECT_EQ(Size("a"), 4u);
}

TEST_F(FaultInjectionEnvTest, UnsyncedContentsUnderADurableNameAreLost) {
  ASSERT_TRUE(env_.WriteFile(Path("a"), "data").ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  env_.CutPower();
  env_.RestoreDurableState();
  ASSERT_TRUE(Exists("a"));
  EXPECT_EQ(Size("a"), 0u);
}

TEST_F(FaultInjectionEnvTest, ARenameIsDurableOnlyAfterTheDirectoryIsSynced) {
  ASSERT_TRUE(env_.WriteFile(Path("a.tmp"), "data").ok());
  ASSERT_TRUE(env_.SyncFile(Path("a.tmp")).ok());
  ASSERT_TRUE(env_.RenameFile(Path("a.tmp"), Path("a")).ok());
  ASSERT_TRUE(env_.WriteFile(Path("b.tmp"), "data").ok());
  ASSERT_TRUE(env_.SyncFile(Path("b.tmp")).ok());
  ASSERT_TRUE(env_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(env_.RenameFile(Path("b.tmp"), Path("b")).ok());
  env_.CutPower();
  env_.RestoreDurableState();
  EXPECT_TRUE(Exists("a"));
  EXPECT_FALSE(Exists("b"));
}

TEST_F(FaultInjectionEnvTest, EveryCallFailsWhileThePowerIsOff) {
  env_.CutPower();
  EXPECT_EQ(env_.WriteFile(Path("a"), "x").code(), StatusCode::kIoError);
  EXPECT_FALSE(env_.SyncDir(dir_.path()).ok());
  EXPECT_FALSE(env_.power_on());
  env_.RestoreDurableState();
  EXPECT_TRUE(env_.WriteFile(Path("a"), "x").ok());
}

TEST_F(FaultInjectionEnvTest, WritesPastTheSpaceLimitFailWithNoSpace) {
  env_.SetSpaceLimit(10);
  ASSERT_TRUE(env_.WriteFile(Path("a"), "12345678").ok());
  EXPECT_EQ(*env_.FreeBytes(dir_.path()), 2u);
  Status s = env_.WriteFile(Path("b"), "123");
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(s.message().find("No space left"), std::string::npos);
  ASSERT_TRUE(env_.RemoveFile(Path("a")).ok());
  EXPECT_TRUE(env_.WriteFile(Path("b"), "123").ok());
}

TEST_F(FaultInjectionEnvTest, PosixLockIsExclusiveWithinAndAcrossOpenFiles) {
  auto first = PosixEnv().LockFile(Path("LOCK"));
  ASSERT_TRUE(first.ok());
  auto second = PosixEnv().LockFile(Path("LOCK"));
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  first->reset();
  EXPECT_TRUE(PosixEnv().LockFile(Path("LOCK")).ok());
}

}  // namespace
}  // namespace rvm::outbox
