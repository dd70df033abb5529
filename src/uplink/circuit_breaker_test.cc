#include "uplink/circuit_breaker.h"

#include <gtest/gtest.h>

namespace rvm::uplink {
namespace {

using std::chrono::milliseconds;

class CircuitBreakerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  CircuitBreaker breaker_{{.failure_threshold = 3, .open_ms = 1000, .max_open_ms = 3000}, clock_};

  void Fail(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(breaker_.AllowRequest());
      breaker_.RecordFailure();
    }
  }
};

TEST_F(CircuitBreakerTest, StaysClosedBelowTheFailureThreshold) {
  Fail(2);
  EXPECT_EQ(breaker_.state(), CircuitState::kClosed);
  breaker_.RecordSuccess();
  Fail(2);
  EXPECT_EQ(breaker_.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, OpensAfterConsecutiveFailuresAndRefusesRequests) {
  Fail(3);
  EXPECT_EQ(breaker_.state(), CircuitState::kOpen);
  EXPECT_FALSE(breaker_.AllowRequest());
  EXPECT_EQ(breaker_.RemainingOpen(), milliseconds(1000));
  clock_.Advance(milliseconds(999));
  EXPECT_FALSE(breaker_.AllowRequest());
  EXPECT_EQ(breaker_.times_opened(), 1);
}

TEST_F(CircuitBreakerTest, AdmitsExactlyOneProbeWhenTheOpenPeriodEnds) {
  Fail(3);
  clock_.Advance(milliseconds(1000));
  EXPECT_TRUE(breaker_.AllowRequest());
  EXPECT_EQ(breaker_.state(), CircuitState::kHalfOpen);
  EXPECT_FALSE(breaker_.AllowRequest());
}

TEST_F(CircuitBreakerTest, ASuccessfulProbeClosesTheCircuit) {
  Fail(3);
  clock_.Advance(milliseconds(1000));
  ASSERT_TRUE(breaker_.AllowRequest());
  breaker_.RecordSuccess();
  EXPECT_EQ(breaker_.state(), CircuitState::kClosed);
  EXPECT_TRUE(breaker_.AllowRequest());
  EXPECT_TRUE(breaker_.AllowRequest());
}

TEST_F(CircuitBreakerTest, AFailedProbeReopensForTwiceAsLongUpToTheMaximum) {
  Fail(3);
  clock_.Advance(milliseconds(1000));
  ASSERT_TRUE(breaker_.AllowRequest());
  breaker_.RecordFailure();
  EXPECT_EQ(breaker_.state(), CircuitState::kOpen);
  EXPECT_EQ(breaker_.RemainingOpen(), milliseconds(2000));
  clock_.Advance(milliseconds(2000));
  ASSERT_TRUE(breaker_.AllowRequest());
  breaker_.RecordFailure();
  EXPECT_EQ(breaker_.RemainingOpen(), milliseconds(3000));  // capped
  EXPECT_EQ(breaker_.times_opened(), 3);
}

TEST(CircuitStateNameTest, NamesEveryState) {
  EXPECT_EQ(CircuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(CircuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace rvm::uplink
