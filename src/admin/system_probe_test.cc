#include "admin/system_probe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace rvm::admin {
namespace {

namespace fs = std::filesystem;

class SystemProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("admin_sysprobe_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  fs::path root_;
};

TEST(ProcStatTest, ParsesTheAggregateCpuLineIntoSeconds) {
  const auto cpu =
      ParseProcStatCpu("cpu  100 5 50 800 20 1 2 0 0 0\ncpu0 50 2 25 400 10 0 1 0\n", 100.0);
  ASSERT_TRUE(cpu.has_value());
  EXPECT_DOUBLE_EQ(cpu->user, 1.0);
  EXPECT_DOUBLE_EQ(cpu->idle, 8.0);
  EXPECT_DOUBLE_EQ(cpu->busy(), 1.0 + 0.05 + 0.5 + 0.01 + 0.02);
}

TEST(ProcStatTest, AFileWithoutACpuLineGivesNothing) {
  EXPECT_FALSE(ParseProcStatCpu("intr 1 2 3\n", 100.0).has_value());
}

TEST(MeminfoTest, ReadsKilobytesAsBytes) {
  const std::string m = "MemTotal:        8000 kB\nMemFree: 100 kB\nMemAvailable:    6000 kB\n";
  EXPECT_EQ(ParseMeminfoBytes(m, "MemTotal"), 8000 * 1024);
  EXPECT_EQ(ParseMeminfoBytes(m, "MemAvailable"), 6000 * 1024);
  EXPECT_FALSE(ParseMeminfoBytes(m, "SwapTotal").has_value());
}

TEST_F(SystemProbeTest, ReadsAJetsonLikeTree) {
  Write("proc/stat", "cpu  100 0 100 800 0 0 0 0\ncpu0 1\ncpu1 1\n");
  Write("proc/meminfo", "MemTotal: 8000 kB\nMemAvailable: 2000 kB\n");
  Write("sys/class/thermal/thermal_zone0/type", "CPU-therm\n");
  Write("sys/class/thermal/thermal_zone0/temp", "48500\n");
  Write("sys/class/thermal/thermal_zone1/type", "GPU-therm\n");
  Write("sys/class/thermal/thermal_zone1/temp", "51250\n");
  Write("sys/devices/platform/17000000.ga10b/load", "372\n");
  SystemProbe probe(root_.string(), root_.string());
  SystemSample s = probe.Sample();
  ASSERT_TRUE(s.cpu.has_value());
  EXPECT_EQ(s.cpu_count, 2);
  EXPECT_FALSE(s.cpu_usage_ratio.has_value()) << "one reading cannot give a usage";
  EXPECT_DOUBLE_EQ(*s.memory_used_ratio(), 0.75);
  ASSERT_EQ(s.thermal.size(), 2u);
  EXPECT_EQ(s.thermal[1].type, "GPU-therm");
  EXPECT_DOUBLE_EQ(s.thermal[1].celsius, 51.25);
  EXPECT_DOUBLE_EQ(*s.gpu_celsius(), 51.25);
  EXPECT_DOUBLE_EQ(*s.max_celsius(), 51.25);
  EXPECT_DOUBLE_EQ(*s.gpu_load_ratio, 0.372);
  EXPECT_TRUE(s.disk_total_bytes.has_value());
  EXPECT_GT(s.process.rss_bytes, 0);

  // 300 more busy ticks and 100 idle: 75 % busy between the two readings.
  Write("proc/stat", "cpu  250 0 250 900 0 0 0 0\n");
  s = probe.Sample();
  ASSERT_TRUE(s.cpu_usage_ratio.has_value());
  EXPECT_NEAR(*s.cpu_usage_ratio, 0.75, 1e-9);
}

TEST_F(SystemProbeTest, MissingSensorsAreAbsentNotZero) {
  Write("sys/class/thermal/thermal_zone0/type", "acpitz\n");  // no temp file
  SystemProbe probe(root_.string(), "");
  const SystemSample s = probe.Sample();
  EXPECT_FALSE(s.cpu.has_value());
  EXPECT_FALSE(s.memory_total_bytes.has_value());
  EXPECT_FALSE(s.disk_total_bytes.has_value());
  EXPECT_TRUE(s.thermal.empty());
  EXPECT_FALSE(s.gpu_load_ratio.has_value());
  EXPECT_FALSE(s.gpu_celsius().has_value());
}

TEST(IsGpuZoneTest, RecognisesJetsonGpuZoneNames) {
  EXPECT_TRUE(IsGpuZone("GPU-therm"));
  EXPECT_TRUE(IsGpuZone("gpu-thermal"));
  EXPECT_FALSE(IsGpuZone("CPU-therm"));
}

}  // namespace
}  // namespace rvm::admin
