#include "remote/host_metrics.h"

#include <sys/statvfs.h>

#include <fstream>
#include <sstream>

namespace rvm::remote {
namespace {

std::optional<std::string> ReadText(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The number after "<key>:" in a /proc/meminfo-style text.
std::optional<uint64_t> MemInfoValue(std::string_view text, std::string_view key) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::istringstream in{std::string(line.substr(key.size() + 1))};
      uint64_t v = 0;
      if (in >> v) return v;
      return std::nullopt;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::optional<CpuTimes> ParseProcStat(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return std::nullopt;
  std::istringstream in{std::string(text.substr(4, text.find('\n') - 4))};
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  uint64_t v[8] = {};
  int n = 0;
  while (n < 8 && in >> v[n]) ++n;
  if (n < 4) return std::nullopt;
  CpuTimes t;
  for (int i = 0; i < n; ++i) t.total += v[i];
  t.idle = v[3] + (n > 4 ? v[4] : 0);
  return t;
}

std::optional<double> ParseMemInfoUsedPercent(std::string_view text) {
  const auto total = MemInfoValue(text, "MemTotal");
  const auto available = MemInfoValue(text, "MemAvailable");
  if (!total || !available || *total == 0 || *available > *total) return std::nullopt;
  return 100.0 * static_cast<double>(*total - *available) / static_cast<double>(*total);
}

std::optional<double> CpuBusyPercent(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.idle < before.idle) return std::nullopt;
  const double total = static_cast<double>(after.total - before.total);
  const double idle = static_cast<double>(after.idle - before.idle);
  if (idle > total) return std::nullopt;
  return 100.0 * (total - idle) / total;
}

HostSample HostSampler::Sample() {
  HostSample s;
  if (auto text = ReadText("/proc/stat")) {
    if (auto now = ParseProcStat(*text)) {
      s.cpu_usage_percent = CpuBusyPercent(previous_.value_or(CpuTimes{}), *now);
      previous_ = now;
    }
  }
  if (auto text = ReadText("/proc/meminfo"))
    s.memory_usage_percent = ParseMemInfoUsedPercent(*text);
  struct statvfs fs {};
  if (!disk_path_.empty() && statvfs(disk_path_.c_str(), &fs) == 0 && fs.f_blocks > 0) {
    const double used = static_cast<double>(fs.f_blocks - fs.f_bfree);
    // Percent of what an unprivileged process can use, as df reports it.
    const double usable = used + static_cast<double>(fs.f_bavail);
    if (usable > 0) s.disk_usage_percent = 100.0 * used / usable;
  }
  if (auto text = ReadText("/sys/class/thermal/thermal_zone0/temp")) {
    std::istringstream in(*text);
    int64_t millidegrees = 0;
    if (in >> millidegrees) s.cpu_temperature = static_cast<double>(millidegrees) / 1000.0;
  }
  return s;
}

}  // namespace rvm::remote
