// TensorStats: streaming statistics of one activation tensor over many
// calibration images, and the range [lo, hi] each calibration method derives
// from them.
//
// Memory is bounded whatever the number of images: exact min/max plus a
// fixed-size histogram of |x| over [0, limit]. When a value exceeds the limit
// the limit doubles and pairs of bins merge, so earlier samples are never
// revisited (the same scheme ONNX Runtime's histogram calibrator uses).
//
// Methods:
//   minmax     - the observed range.
//   percentile - |x| clipped at the given percentile of the histogram.
//   entropy    - |x| clipped at the threshold that minimises the KL divergence
//                between the clipped distribution and its 128-level
//                quantization (TensorRT's calibration).
// The clipping threshold T gives [max(min, -T), min(max, T)].
//
// Thread-compatible: one TensorStats per tensor, fed by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace rvm::quantize {

enum class CalibrationMethod { kMinMax, kPercentile, kEntropy };

const char* CalibrationMethodName(CalibrationMethod m);
// "minmax", "percentile" or "entropy".
Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name);

struct Range {
  float lo = 0, hi = 0;
};

class TensorStats {
 public:
  static constexpr int kBins = 2048;

  // Adds `n` values.
  void Add(const float* values, size_t n);

  int64_t count() const { return count_; }
  float min() const { return min_; }
  float max() const { return max_; }

  // The range for `method`; `percentile` (e.g. 99.99) is used by kPercentile.
  // A tensor that saw no values has the range [0, 0].
  Range ComputeRange(CalibrationMethod method, double percentile = 99.999) const;

 private:
  float PercentileThreshold(double percentile) const;
  float EntropyThreshold() const;
  void Grow(float abs_max);

  int64_t count_ = 0;
  float min_ = 0, max_ = 0;
  float limit_ = 0;  // histogram covers |x| in [0, limit_]
  std::vector<int64_t> hist_;
};

}  // namespace rvm::quantize
