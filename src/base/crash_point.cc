#include "base/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace rvm {
namespace {

struct Armed {
  std::string name;
  long after = 0;  // kill at this pass
  std::atomic<long> passes{0};
};

// Parsed once; nullptr when the variable is unset or malformed.
Armed* ArmedPoint() {
  static Armed* const armed = []() -> Armed* {
    const char* spec = std::getenv("RVM_EDGE_TEST_CRASH_AT");
    if (spec == nullptr) return nullptr;
    const std::string s(spec);
    const size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return nullptr;
    char* end = nullptr;
    const long n = std::strtol(s.c_str() + colon + 1, &end, 10);
    if (end == s.c_str() + colon + 1 || *end != '\0' || n < 1) return nullptr;
    auto* a = new Armed;
    a->name = s.substr(0, colon);
    a->after = n;
    return a;
  }();
  return armed;
}

}  // namespace

void CrashPoint(std::string_view name) {
  Armed* armed = ArmedPoint();
  if (armed == nullptr || name != armed->name) return;
  if (armed->passes.fetch_add(1, std::memory_order_relaxed) + 1 == armed->after) {
    ::kill(::getpid(), SIGKILL);
    ::pause();
  }
}

}  // namespace rvm
