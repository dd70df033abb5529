#include "admin/system_probe.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rvm::admin {
namespace {

std::optional<std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return std::nullopt;  // e.g. a sensor that answers EIO
  return out.str();
}

std::optional<double> ReadNumber(const std::filesystem::path& path) {
  const std::optional<std::string> text = ReadSmallFile(path);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  double v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

std::string TrimLine(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

template <typename F>
std::optional<double> MaxOf(const std::vector<ThermalReading>& zones, F keep) {
  std::optional<double> best;
  for (const ThermalReading& z : zones) {
    if (keep(z) && (!best || z.celsius > *best)) best = z.celsius;
  }
  return best;
}

}  // namespace

std::optional<double> SystemSample::memory_used_ratio() const {
  if (!memory_total_bytes || !memory_available_bytes || *memory_total_bytes <= 0) {
    return std::nullopt;
  }
  return 1.0 - static_cast<double>(*memory_available_bytes) / *memory_total_bytes;
}

std::optional<double> SystemSample::disk_used_ratio() const {
  if (!disk_total_bytes || !disk_available_bytes || *disk_total_bytes <= 0) return std::nullopt;
  return 1.0 - static_cast<double>(*disk_available_bytes) / *disk_total_bytes;
}

std::optional<double> SystemSample::gpu_celsius() const {
  return MaxOf(thermal, [](const ThermalReading& z) { return IsGpuZone(z.type); });
}

std::optional<double> SystemSample::max_celsius() const {
  return MaxOf(thermal, [](const ThermalReading&) { return true; });
}

bool IsGpuZone(const std::string& type) {
  std::string lower = type;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower.find("gpu") != std::string::npos;
}

std::optional<CpuTimes> ParseProcStatCpu(const std::string& proc_stat, double ticks_per_second) {
  std::istringstream in(proc_stat);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    double v[8] = {};
    int n = 0;
    while (n < 8 && fields >> v[n]) ++n;
    if (n < 4 || ticks_per_second <= 0) return std::nullopt;  // user nice system idle at least
    for (double& x : v) x /= ticks_per_second;
    return CpuTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
  }
  return std::nullopt;
}

std::optional<int64_t> ParseMeminfoBytes(const std::string& meminfo, const std::string& key) {
  std::istringstream in(meminfo);
  std::string line;
  const std::string prefix = key + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    int64_t kb = 0;
    if (!(fields >> kb)) return std::nullopt;
    return kb * 1024;
  }
  return std::nullopt;
}

SystemProbe::SystemProbe(std::string root, std::string disk_path)
    : root_(std::move(root)),
      disk_path_(std::move(disk_path)),
      ticks_per_second_(static_cast<double>(sysconf(_SC_CLK_TCK))) {}

SystemSample SystemProbe::Sample() {
  namespace fs = std::filesystem;
  const fs::path root(root_);
  SystemSample s;

  if (std::optional<std::string> stat = ReadSmallFile(root / "proc/stat")) {
    s.cpu = ParseProcStatCpu(*stat, ticks_per_second_);
    std::istringstream in(*stat);
    std::string line;
    while (std::getline(in, line)) {
      if (line.size() > 3 && line.rfind("cpu", 0) == 0 && std::isdigit(line[3])) ++s.cpu_count;
    }
  }
  if (s.cpu) {
    std::lock_guard<std::mutex> lock(mu_);
    if (previous_cpu_) {
      const double total = s.cpu->total() - previous_cpu_->total();
      const double busy = s.cpu->busy() - previous_cpu_->busy();
      if (total > 0) s.cpu_usage_ratio = std::clamp(busy / total, 0.0, 1.0);
    }
    previous_cpu_ = s.cpu;
  }

  if (std::optional<std::string> meminfo = ReadSmallFile(root / "proc/meminfo")) {
    s.memory_total_bytes = ParseMeminfoBytes(*meminfo, "MemTotal");
    s.memory_available_bytes = ParseMeminfoBytes(*meminfo, "MemAvailable");
  }

  struct statvfs vfs {};
  if (!disk_path_.empty() && statvfs(disk_path_.c_str(), &vfs) == 0) {
    s.disk_total_bytes = static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize);
    s.disk_available_bytes =
        static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
  }

  std::error_code ec;
  const fs::path thermal = root / "sys/class/thermal";
  for (const fs::directory_entry& e : fs::directory_iterator(thermal, ec)) {
    const std::string zone = e.path().filename().string();
    if (zone.rfind("thermal_zone", 0) != 0) continue;
    const std::optional<double> milli = ReadNumber(e.path() / "temp");
    if (!milli) continue;  // a zone whose sensor does not answer is absent
    std::optional<std::string> type = ReadSmallFile(e.path() / "type");
    s.thermal.push_back({zone, type ? TrimLine(*type) : zone, *milli / 1000.0});
  }
  std::sort(s.thermal.begin(), s.thermal.end(),
            [](const ThermalReading& a, const ThermalReading& b) { return a.zone < b.zone; });

  // Jetson GPU load in per-mille; the node moved between L4T releases.
  for (const char* path : {"sys/devices/platform/17000000.ga10b/load",  // Orin
                           "sys/devices/platform/17000000.gv11b/load",  // Xavier
                           "sys/devices/gpu.0/load", "sys/devices/platform/gpu.0/load"}) {
    if (std::optional<double> load = ReadNumber(root / path)) {
      s.gpu_load_ratio = std::clamp(*load / 1000.0, 0.0, 1.0);
      break;
    }
  }

  s.process = ReadProcessStats();
  return s;
}

}  // namespace rvm::admin
