#include "base/sample_stats.h"

#include <algorithm>
#include <numeric>

namespace rvm {
namespace {

double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

SampleSummary Summarize(std::vector<double> s) {
  SampleSummary r;
  if (s.empty()) return r;
  std::sort(s.begin(), s.end());
  r.count = s.size();
  r.mean = std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
  r.median = Quantile(s, 0.5);
  r.p90 = Quantile(s, 0.9);
  r.p99 = Quantile(s, 0.99);
  r.min = s.front();
  r.max = s.back();
  return r;
}

}  // namespace rvm
