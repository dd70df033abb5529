// HostMetrics: the machine's CPU, memory and temperature for the heartbeat's
// health metrics, read from /proc and /sys (Linux; a value that cannot be
// read is left out, never reported as 0).
//
// CPU use is a rate, so HostSampler keeps the previous /proc/stat reading and
// reports the share of non-idle time since then (since boot on the first
// call). The parsers are pure and tested on text.
//
// HostSampler is not thread-safe: the heartbeat thread owns one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rvm::remote {

struct CpuTimes {
  uint64_t total = 0;  // jiffies, all states
  uint64_t idle = 0;   // idle + iowait
};

// The aggregate "cpu " line of /proc/stat; nullopt when it is missing or short.
std::optional<CpuTimes> ParseProcStat(std::string_view text);
// (MemTotal - MemAvailable) / MemTotal in percent from /proc/meminfo.
std::optional<double> ParseMemInfoUsedPercent(std::string_view text);
// Percent of non-idle time between two readings; nullopt when no time passed.
std::optional<double> CpuBusyPercent(const CpuTimes& before, const CpuTimes& after);

struct HostSample {
  std::optional<double> cpu_usage_percent;
  std::optional<double> memory_usage_percent;
  std::optional<double> disk_usage_percent;  // of the filesystem holding `disk_path`
  std::optional<double> cpu_temperature;     // degrees Celsius (thermal zone 0)
};

class HostSampler {
 public:
  // `disk_path`: a directory on the filesystem whose use is reported ("" = none).
  explicit HostSampler(std::string disk_path = "/") : disk_path_(std::move(disk_path)) {}
  HostSample Sample();

 private:
  std::string disk_path_;
  std::optional<CpuTimes> previous_;
};

}  // namespace rvm::remote
