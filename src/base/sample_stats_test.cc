#include "base/sample_stats.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(SampleStatsTest, MedianAndPercentilesInterpolate) {
  SampleSummary s = Summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(s.count, 5u);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.mean, 3);
  EXPECT_DOUBLE_EQ(s.p90, 4.6);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 5);
}

TEST(SampleStatsTest, EmptyInputGivesZeros) { EXPECT_EQ(Summarize({}).count, 0u); }

}  // namespace
}  // namespace rvm
