// Summary statistics over a set of timing samples (median, p90, p99, mean),
// for benchmarks. Pure.
#pragma once

#include <cstddef>
#include <vector>

namespace rvm {

struct SampleSummary {
  size_t count = 0;
  double mean = 0, median = 0, p90 = 0, p99 = 0, min = 0, max = 0;
};

// Percentiles by linear interpolation between closest ranks. Empty input gives zeros.
SampleSummary Summarize(std::vector<double> samples);

}  // namespace rvm
