#include "base/iso_time.h"

#include <gtest/gtest.h>

namespace rvm {
namespace {

TEST(IsoTimeTest, MillisecondsFormatAsUtcWithAZ) {
  EXPECT_EQ(IsoUtcMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoUtcMillis(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(IsoUtcMillis(1'770'459'330'007), "2026-02-07T10:15:30.007Z");
}

TEST(IsoTimeTest, TimesBeforeTheEpochFloorToTheEarlierSecond) {
  EXPECT_EQ(IsoUtcMillis(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace rvm
