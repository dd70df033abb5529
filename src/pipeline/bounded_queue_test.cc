#include "pipeline/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace rvm {
namespace {

using Q = BoundedQueue<int>;

TEST(BoundedQueueTest, PopsInTheOrderPushed) {
  Q q(3, FullPolicy::kBlock);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(q.Push(i).outcome, Q::Outcome::kPushed);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(q.TryPop(), i);
  EXPECT_EQ(q.TryPop(), std::nullopt);
}

TEST(BoundedQueueTest, DropOldestEvictsTheOldestAndHandsItBack) {
  Q q(2, FullPolicy::kDropOldest);
  (void)q.Push(1);
  (void)q.Push(2);
  auto r = q.Push(3);
  EXPECT_EQ(r.outcome, Q::Outcome::kDropped);
  EXPECT_EQ(r.returned, 1);
  EXPECT_EQ(q.TryPop(), 2);
  EXPECT_EQ(q.TryPop(), 3);
  EXPECT_EQ(q.stats().dropped, 1u);
}

TEST(BoundedQueueTest, RejectHandsTheNewElementBack) {
  Q q(1, FullPolicy::kReject);
  (void)q.Push(1);
  auto r = q.Push(2);
  EXPECT_EQ(r.outcome, Q::Outcome::kRejected);
  EXPECT_EQ(r.returned, 2);
  EXPECT_EQ(q.TryPop(), 1);
  EXPECT_EQ(q.stats().rejected, 1u);
}

TEST(BoundedQueueTest, BlockWaitsForRoomAndLosesNothing) {
  Q q(2, FullPolicy::kBlock);
  constexpr int kN = 2000;
  std::thread producer([&] {
    for (int i = 0; i < kN; ++i) ASSERT_EQ(q.Push(i).outcome, Q::Outcome::kPushed);
    q.Close();
  });
  int expected = 0;
  while (auto v = q.Pop()) {
    ASSERT_EQ(*v, expected);
    ++expected;
  }
  producer.join();
  EXPECT_EQ(expected, kN);
  const QueueStats s = q.stats();
  EXPECT_EQ(s.dropped, 0u);
  EXPECT_LE(s.max_depth, 2u);
  EXPECT_EQ(s.pushed, static_cast<uint64_t>(kN));
}

TEST(BoundedQueueTest, CloseWakesABlockedProducerAndReturnsItsElement) {
  Q q(1, FullPolicy::kBlock);
  (void)q.Push(1);
  std::atomic<bool> done{false};
  Q::PushResult r;
  std::thread producer([&] {
    r = q.Push(2);
    done = true;
  });
  while (q.stats().blocked == 0) std::this_thread::yield();
  q.Close();
  producer.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(r.outcome, Q::Outcome::kClosed);
  EXPECT_EQ(r.returned, 2);
  EXPECT_EQ(q.Pop(), 1);  // what was queued still drains
  EXPECT_EQ(q.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, SwitchingFromBlockToDropOldestReleasesAWaitingProducer) {
  Q q(1, FullPolicy::kBlock);
  (void)q.Push(1);
  Q::PushResult r;
  std::thread producer([&] { r = q.Push(2); });
  while (q.stats().blocked == 0) std::this_thread::yield();
  q.SetPolicy(FullPolicy::kDropOldest);
  producer.join();
  EXPECT_EQ(r.outcome, Q::Outcome::kDropped);
  EXPECT_EQ(r.returned, 1);
  EXPECT_EQ(q.TryPop(), 2);
}

TEST(BoundedQueueTest, PopUntilTimesOutOnAnEmptyQueue) {
  Q q(1, FullPolicy::kBlock);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(q.PopUntil(t0 + std::chrono::milliseconds(20)), std::nullopt);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(19));
  EXPECT_FALSE(q.closed());
}

TEST(BoundedQueueTest, NeverHoldsMoreThanItsCapacityUnderDropOldest) {
  Q q(4, FullPolicy::kDropOldest);
  for (int i = 0; i < 1000; ++i) (void)q.Push(i);
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.stats().max_depth, 4u);
  EXPECT_EQ(q.stats().dropped, 996u);
  EXPECT_EQ(q.TryPop(), 996);
}

}  // namespace
}  // namespace rvm
