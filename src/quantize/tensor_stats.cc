#include "quantize/tensor_stats.h"

#include <algorithm>
#include <cmath>

namespace rvm::quantize {

const char* CalibrationMethodName(CalibrationMethod m) {
  switch (m) {
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kPercentile:
      return "percentile";
    case CalibrationMethod::kEntropy:
      return "entropy";
  }
  return "?";
}

Result<CalibrationMethod> ParseCalibrationMethod(const std::string& name) {
  if (name == "minmax") return CalibrationMethod::kMinMax;
  if (name == "percentile") return CalibrationMethod::kPercentile;
  if (name == "entropy") return CalibrationMethod::kEntropy;
  return InvalidArgument("calibration method '" + name +
                         "' is not one of minmax, percentile, entropy");
}

void TensorStats::Grow(float abs_max) {
  if (limit_ <= 0) {
    // First non-zero magnitude: start with the next power of two above it.
    limit_ = std::exp2(std::ceil(std::log2(abs_max)));
    if (limit_ < abs_max) limit_ *= 2;
    return;
  }
  while (limit_ < abs_max) {
    for (int i = 0; i < kBins / 2; ++i) hist_[i] = hist_[2 * i] + hist_[2 * i + 1];
    std::fill(hist_.begin() + kBins / 2, hist_.end(), 0);
    limit_ *= 2;
  }
}

void TensorStats::Add(const float* values, size_t n) {
  if (n == 0) return;
  if (hist_.empty()) hist_.assign(kBins, 0);
  float lo = values[0], hi = values[0], amax = 0;
  for (size_t i = 0; i < n; ++i) {
    lo = std::min(lo, values[i]);
    hi = std::max(hi, values[i]);
  }
  amax = std::max(std::fabs(lo), std::fabs(hi));
  if (count_ == 0) {
    min_ = lo;
    max_ = hi;
  } else {
    min_ = std::min(min_, lo);
    max_ = std::max(max_, hi);
  }
  count_ += static_cast<int64_t>(n);
  if (amax > limit_) Grow(amax);
  if (limit_ <= 0) {
    hist_[0] += static_cast<int64_t>(n);  // all zeros
    return;
  }
  const float per_bin = kBins / limit_;
  for (size_t i = 0; i < n; ++i) {
    int b = static_cast<int>(std::fabs(values[i]) * per_bin);
    hist_[std::min(b, kBins - 1)]++;
  }
}

float TensorStats::PercentileThreshold(double percentile) const {
  const double target = static_cast<double>(count_) * percentile / 100.0;
  double cum = 0;
  for (int i = 0; i < kBins; ++i) {
    cum += static_cast<double>(hist_[i]);
    if (cum >= target) return limit_ * static_cast<float>(i + 1) / kBins;
  }
  return limit_;
}

float TensorStats::EntropyThreshold() const {
  constexpr int kLevels = 128;
  // Highest non-empty bin: candidates beyond it are all equivalent.
  int last = kBins - 1;
  while (last > 0 && hist_[last] == 0) --last;
  if (last + 1 <= kLevels) return limit_ * static_cast<float>(last + 1) / kBins;
  double best_kl = INFINITY;
  int best_i = last + 1;
  std::vector<double> p, q;
  for (int i = kLevels; i <= last + 1; ++i) {
    // Reference: the first i bins, outliers folded into the last.
    p.assign(hist_.begin(), hist_.begin() + i);
    double outliers = 0;
    for (int j = i; j < kBins; ++j) outliers += static_cast<double>(hist_[j]);
    p[i - 1] += outliers;
    // Candidate: the same bins merged into kLevels levels, then spread back
    // evenly over the non-empty bins of each level.
    q.assign(i, 0.0);
    const double step = static_cast<double>(i) / kLevels;
    for (int l = 0; l < kLevels; ++l) {
      const int a = static_cast<int>(std::floor(l * step));
      const int b = l == kLevels - 1 ? i : static_cast<int>(std::floor((l + 1) * step));
      double sum = 0;
      int nonzero = 0;
      for (int j = a; j < b; ++j) {
        sum += static_cast<double>(hist_[j]);
        if (hist_[j] != 0) ++nonzero;
      }
      for (int j = a; j < b; ++j) {
        if (hist_[j] != 0) q[j] = sum / nonzero;
      }
    }
    double ps = 0, qs = 0;
    for (int j = 0; j < i; ++j) {
      ps += p[j];
      qs += q[j];
    }
    if (ps <= 0 || qs <= 0) continue;
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      if (p[j] <= 0) continue;
      const double pj = p[j] / ps;
      const double qj = q[j] > 0 ? q[j] / qs : 1e-12;
      kl += pj * std::log(pj / qj);
    }
    if (kl < best_kl) {
      best_kl = kl;
      best_i = i;
    }
  }
  return limit_ * static_cast<float>(best_i) / kBins;
}

Range TensorStats::ComputeRange(CalibrationMethod method, double percentile) const {
  if (count_ == 0) return {0, 0};
  if (method == CalibrationMethod::kMinMax || limit_ <= 0) return {min_, max_};
  const float t = method == CalibrationMethod::kPercentile ? PercentileThreshold(percentile)
                                                           : EntropyThreshold();
  return {std::max(min_, -t), std::min(max_, t)};
}

}  // namespace rvm::quantize
