#include "pipeline/frame_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace rvm {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

TEST(FramePoolTest, HandsOutEachSlotOnceUntilReleased) {
  FramePool pool(3);
  std::set<FrameSlot*> taken;
  for (int i = 0; i < 3; ++i) taken.insert(pool.TryAcquire());
  EXPECT_EQ(taken.size(), 3u);
  EXPECT_EQ(taken.count(nullptr), 0u);
  EXPECT_EQ(pool.TryAcquire(), nullptr);
  EXPECT_EQ(pool.stats().in_use, 3);
  pool.Release(*taken.begin());
  EXPECT_EQ(pool.TryAcquire(), *taken.begin());
}

TEST(FramePoolTest, AnExhaustedPoolMakesTheCallerWaitAndNeverGrows) {
  FramePool pool(1);
  FrameSlot* only = pool.TryAcquire();
  ASSERT_NE(only, nullptr);
  EXPECT_EQ(pool.Acquire(steady_clock::now() + milliseconds(10)), nullptr);
  const PoolStats s = pool.stats();
  EXPECT_EQ(s.waits, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.size, 1);
  EXPECT_EQ(s.max_in_use, 1);
}

TEST(FramePoolTest, AWaitingAcquireGetsTheReleasedSlot) {
  FramePool pool(1);
  FrameSlot* only = pool.TryAcquire();
  FrameSlot* got = nullptr;
  std::thread waiter([&] { got = pool.Acquire(steady_clock::now() + std::chrono::seconds(10)); });
  while (pool.stats().waits == 0) std::this_thread::yield();
  pool.Release(only);
  waiter.join();
  EXPECT_EQ(got, only);
}

TEST(FramePoolTest, RecycledSlotsKeepTheirImageBuffer) {
  FramePool pool(1);
  FrameSlot* s = pool.TryAcquire();
  s->frame.image.create(480, 640, CV_8UC3);
  const uint8_t* data = s->frame.image.data;
  pool.Release(s);
  s = pool.TryAcquire();
  s->frame.image.create(480, 640, CV_8UC3);  // same geometry: no reallocation
  EXPECT_EQ(s->frame.image.data, data);
}

TEST(FramePoolDeathTest, ReleasingASlotTwiceAborts) {
  FramePool pool(2);
  FrameSlot* s = pool.TryAcquire();
  pool.Release(s);
  EXPECT_DEATH(pool.Release(s), "not taken from this pool");
}

}  // namespace
}  // namespace rvm
