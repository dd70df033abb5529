#include "base/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace rvm {

ProcessStats ReadProcessStats() {
  ProcessStats s;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    long pages_total = 0, pages_resident = 0;
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) == 2) {
      s.rss_bytes = static_cast<int64_t>(pages_resident) * ::sysconf(_SC_PAGESIZE);
    }
    std::fclose(f);
  }
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    s.peak_rss_bytes = static_cast<int64_t>(ru.ru_maxrss) * 1024;
    s.cpu_user_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    s.cpu_system_s = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  }
  return s;
}

}  // namespace rvm
