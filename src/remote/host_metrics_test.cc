#include "remote/host_metrics.h"

#include <gtest/gtest.h>

namespace rvm::remote {
namespace {

TEST(HostMetricsTest, ProcStatGivesTotalAndIdleJiffies) {
  auto t = ParseProcStat("cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->total, 980u);
  EXPECT_EQ(t->idle, 820u);
}

TEST(HostMetricsTest, AProcStatWithoutTheAggregateLineIsUnknown) {
  EXPECT_FALSE(ParseProcStat("cpu0 1 2 3 4\n").has_value());
  EXPECT_FALSE(ParseProcStat("cpu  1 2\n").has_value());
  EXPECT_FALSE(ParseProcStat("").has_value());
}

TEST(HostMetricsTest, CpuBusyIsTheNonIdleShareBetweenReadings) {
  EXPECT_DOUBLE_EQ(*CpuBusyPercent({1000, 800}, {1200, 850}), 75.0);
  EXPECT_FALSE(CpuBusyPercent({1000, 800}, {1000, 800}).has_value());
}

TEST(HostMetricsTest, MemoryUseComesFromTotalAndAvailable) {
  const char* text =
      "MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    2000000 kB\n";
  EXPECT_DOUBLE_EQ(*ParseMemInfoUsedPercent(text), 75.0);
  EXPECT_FALSE(ParseMemInfoUsedPercent("MemTotal: 100 kB\n").has_value());
}

TEST(HostMetricsTest, TheSamplerReadsThisMachine) {
  HostSampler sampler("/");
  const HostSample s = sampler.Sample();
  ASSERT_TRUE(s.memory_usage_percent.has_value());
  EXPECT_GT(*s.memory_usage_percent, 0.0);
  EXPECT_LE(*s.memory_usage_percent, 100.0);
  ASSERT_TRUE(s.disk_usage_percent.has_value());
  EXPECT_LE(*s.disk_usage_percent, 100.0);
  ASSERT_TRUE(s.cpu_usage_percent.has_value());
  EXPECT_LE(*s.cpu_usage_percent, 100.0);
}

}  // namespace
}  // namespace rvm::remote
