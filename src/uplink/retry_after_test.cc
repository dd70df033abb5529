#include "uplink/retry_after.h"

#include <gtest/gtest.h>

namespace rvm::uplink {
namespace {

// 1994-11-06T08:49:37Z, the RFC's example date.
constexpr int64_t kRfcDateMs = 784111777000;

TEST(RetryAfterTest, DelaySecondsAreConvertedToMilliseconds) {
  EXPECT_EQ(ParseRetryAfterMs("120", 0), 120'000);
  EXPECT_EQ(ParseRetryAfterMs(" 0 ", 0), 0);
}

TEST(RetryAfterTest, AnHttpDateGivesTheDelayFromNow) {
  EXPECT_EQ(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", kRfcDateMs - 5'000), 5'000);
}

TEST(RetryAfterTest, AnHttpDateInThePastMeansNoDelay) {
  EXPECT_EQ(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", kRfcDateMs + 60'000), 0);
}

TEST(RetryAfterTest, MalformedValuesAreRejected) {
  EXPECT_FALSE(ParseRetryAfterMs("", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("-5", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("1.5", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("soon", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("Sun, 06 Foo 1994 08:49:37 GMT", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 PST", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT trailing", 0).has_value());
  EXPECT_FALSE(ParseRetryAfterMs("99999999999999999999", 0).has_value());
}

}  // namespace
}  // namespace rvm::uplink
