// Resource use of this process, read from the kernel: resident memory (now
// and peak) and CPU time. Linux-specific; values are 0 where unavailable.
#pragma once

#include <cstdint>

namespace rvm {

struct ProcessStats {
  int64_t rss_bytes = 0;       // resident set size now (/proc/self/statm)
  int64_t peak_rss_bytes = 0;  // high-water mark (getrusage ru_maxrss)
  double cpu_user_s = 0, cpu_system_s = 0;
};

ProcessStats ReadProcessStats();

}  // namespace rvm
