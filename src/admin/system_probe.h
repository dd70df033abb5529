// SystemProbe: the machine's resource readings for /metrics, the dashboard
// and the v2 platform probes: system CPU, memory, the disk holding the outbox,
// thermal zones and, on a Jetson, GPU load; plus this process's RSS and CPU.
//
// Everything is read from procfs and sysfs under a root directory ("/" in
// production; a directory of fixture files in tests). A reading that the
// machine does not offer is absent (nullopt / no entry), never zero: a
// desktop has no GPU load file, a container may have no thermal zones.
//
// Thread-safety: Sample() may be called from any thread; the CPU usage ratio
// is measured between consecutive calls (guarded by a mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/process_stats.h"

namespace rvm::admin {

// Cumulative CPU time of the whole machine, seconds, from /proc/stat's "cpu" line.
struct CpuTimes {
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  double busy() const { return user + nice + system + irq + softirq + steal; }
  double total() const { return busy() + idle + iowait; }
};

struct ThermalReading {
  std::string zone;  // "thermal_zone0"
  std::string type;  // the zone's type file: "x86_pkg_temp", "GPU-therm", ...
  double celsius = 0;
};

struct SystemSample {
  std::optional<CpuTimes> cpu;                    // machine CPU time since boot
  std::optional<double> cpu_usage_ratio;          // busy share since the previous Sample(), [0, 1]
  int cpu_count = 0;                              // online CPUs (0 = unknown)
  std::optional<int64_t> memory_total_bytes;      // MemTotal
  std::optional<int64_t> memory_available_bytes;  // MemAvailable
  std::optional<int64_t> disk_total_bytes;        // filesystem of the disk path
  std::optional<int64_t> disk_available_bytes;    // free to unprivileged users
  std::vector<ThermalReading> thermal;
  std::optional<double> gpu_load_ratio;  // Jetson GPU load, [0, 1]
  ProcessStats process;                  // this process (always read from /proc/self)

  // Memory and disk in use, [0, 1]; nullopt when a reading is missing.
  std::optional<double> memory_used_ratio() const;
  std::optional<double> disk_used_ratio() const;
  // Hottest zone whose type names the GPU ("GPU-therm", "gpu-thermal").
  std::optional<double> gpu_celsius() const;
  // Hottest zone of all.
  std::optional<double> max_celsius() const;
};

// Whether a thermal zone type names the GPU (case-insensitive "gpu").
bool IsGpuZone(const std::string& type);

// Parses the aggregate "cpu" line of /proc/stat (clock ticks -> seconds).
std::optional<CpuTimes> ParseProcStatCpu(const std::string& proc_stat, double ticks_per_second);
// Reads "<Key>: <n> kB" from /proc/meminfo, in bytes.
std::optional<int64_t> ParseMeminfoBytes(const std::string& meminfo, const std::string& key);

class SystemProbe {
 public:
  // `root`: where proc/ and sys/ are found ("/" in production).
  // `disk_path`: a directory whose filesystem is reported (the outbox
  // directory); "" = no disk readings.
  explicit SystemProbe(std::string root = "/", std::string disk_path = "");

  SystemSample Sample();

 private:
  const std::string root_;
  const std::string disk_path_;
  const double ticks_per_second_;
  std::mutex mu_;
  std::optional<CpuTimes> previous_cpu_;  // guarded by mu_
};

}  // namespace rvm::admin
