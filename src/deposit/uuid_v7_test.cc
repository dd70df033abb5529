#include "deposit/uuid_v7.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

namespace rvm {
namespace {

using std::chrono::milliseconds;

TEST(UuidV7Test, AnIdCarriesVersionVariantAndTheWallClockMillisecond) {
  FakeClock clock(1'700'000'000'123);
  UuidV7Generator gen(clock, [] { return uint64_t{0}; });
  const std::string id = gen.Next();
  EXPECT_TRUE(IsUuidV7(id)) << id;
  EXPECT_EQ(id, "018bcfe5-687b-7000-8000-000000000000");
  EXPECT_EQ(UuidV7Millis(id), 1'700'000'000'123);
}

TEST(UuidV7Test, IdsWithinOneMillisecondStrictlyIncrease) {
  FakeClock clock;
  UuidV7Generator gen(clock, [] { return ~uint64_t{0}; });
  std::string prev = gen.Next();
  for (int i = 0; i < 1000; ++i) {
    const std::string id = gen.Next();
    EXPECT_LT(prev, id);
    EXPECT_TRUE(IsUuidV7(id)) << id;
    prev = id;
  }
}

// A clock whose wall time a test sets directly, backwards included (NTP steps).
class SettableWallClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override { return {}; }
  int64_t WallMillis() const override { return wall_ms; }
  int64_t wall_ms = 1'700'000'100'000;
};

TEST(UuidV7Test, IdsStayOrderedWhenTheWallClockStepsBack) {
  SettableWallClock clock;
  UuidV7Generator gen(clock);
  const std::string before = gen.Next();
  clock.wall_ms -= 5000;
  const std::string after = gen.Next();
  EXPECT_LT(before, after);
  EXPECT_EQ(UuidV7Millis(after), 1'700'000'100'000);
}

TEST(UuidV7Test, TenThousandIdsInOneMillisecondAreDistinct) {
  FakeClock clock;
  UuidV7Generator gen(clock);
  std::set<std::string> seen;
  for (int i = 0; i < 10'000; ++i) ASSERT_TRUE(seen.insert(gen.Next()).second);
}

TEST(UuidV7Test, LaterMillisecondsSortAfterEarlierOnes) {
  FakeClock clock;
  UuidV7Generator gen(clock);
  const std::string a = gen.Next();
  clock.Advance(milliseconds(1));
  const std::string b = gen.Next();
  clock.Advance(milliseconds(5000));
  const std::string c = gen.Next();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
}

TEST(UuidV7Test, ConcurrentCallersNeverGetTheSameId) {
  FakeClock clock;
  UuidV7Generator gen(clock);
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&gen, &ids] {
      for (int i = 0; i < 2000; ++i) ids.push_back(gen.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), 8000u);
}

TEST(UuidV7Test, MalformedIdsAreRecognised) {
  EXPECT_FALSE(IsUuidV7(""));
  EXPECT_FALSE(IsUuidV7("018bcfe5-687b-4000-8000-000000000000"));  // version 4
  EXPECT_FALSE(IsUuidV7("018bcfe5-687b-7000-c000-000000000000"));  // wrong variant
  EXPECT_FALSE(IsUuidV7("018BCFE5-687B-7000-8000-000000000000"));  // uppercase
  EXPECT_FALSE(UuidV7Millis("not-a-uuid").has_value());
}

}  // namespace
}  // namespace rvm
