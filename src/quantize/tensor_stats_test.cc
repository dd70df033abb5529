#include "quantize/tensor_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace rvm::quantize {
namespace {

TEST(TensorStatsTest, MinMaxIsTheObservedRangeOverAllBatches) {
  TensorStats s;
  const std::vector<float> a = {0.5f, -2.0f, 3.0f}, b = {7.5f, -1.0f};
  s.Add(a.data(), a.size());
  s.Add(b.data(), b.size());
  EXPECT_EQ(s.count(), 5);
  Range r = s.ComputeRange(CalibrationMethod::kMinMax);
  EXPECT_FLOAT_EQ(r.lo, -2.0f);
  EXPECT_FLOAT_EQ(r.hi, 7.5f);
}

TEST(TensorStatsTest, NoValuesGiveAnEmptyRange) {
  TensorStats s;
  Range r = s.ComputeRange(CalibrationMethod::kEntropy);
  EXPECT_EQ(r.lo, 0);
  EXPECT_EQ(r.hi, 0);
}

TEST(TensorStatsTest, AllZeroTensorStaysAtZero) {
  TensorStats s;
  const std::vector<float> z(100, 0.0f);
  s.Add(z.data(), z.size());
  for (auto m :
       {CalibrationMethod::kMinMax, CalibrationMethod::kPercentile, CalibrationMethod::kEntropy}) {
    Range r = s.ComputeRange(m);
    EXPECT_EQ(r.lo, 0);
    EXPECT_EQ(r.hi, 0);
  }
}

TEST(TensorStatsTest, PercentileClipsARareOutlier) {
  TensorStats s;
  std::vector<float> v(100000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 1000) / 1000.0f;  // [0, 1)
  s.Add(v.data(), v.size());
  const float outlier = 100.0f;
  s.Add(&outlier, 1);
  Range r = s.ComputeRange(CalibrationMethod::kPercentile, 99.99);
  EXPECT_FLOAT_EQ(r.lo, 0.0f);
  EXPECT_LT(r.hi, 1.2f);
  EXPECT_GT(r.hi, 0.95f);
  EXPECT_FLOAT_EQ(s.ComputeRange(CalibrationMethod::kMinMax).hi, 100.0f);
}

TEST(TensorStatsTest, EntropyClipsALongTailButKeepsTheBulk) {
  TensorStats s;
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(200000);
  for (float& x : v) x = normal(rng);
  v[0] = 40.0f;  // a far outlier
  s.Add(v.data(), v.size());
  Range r = s.ComputeRange(CalibrationMethod::kEntropy);
  EXPECT_GT(r.hi, 2.0f);   // keeps at least two standard deviations
  EXPECT_LT(r.hi, 20.0f);  // but not the outlier
  EXPECT_LT(r.lo, -2.0f);
  EXPECT_GE(r.lo, -20.0f);
}

TEST(TensorStatsTest, HistogramGrowthKeepsEarlierSamples) {
  TensorStats s;
  std::vector<float> small(1000, 0.25f);
  s.Add(small.data(), small.size());
  std::vector<float> big(10, 1000.0f);
  s.Add(big.data(), big.size());
  // 99% of the values are 0.25: the 50th percentile stays near it after the
  // histogram's range grew 4096-fold.
  Range r = s.ComputeRange(CalibrationMethod::kPercentile, 50.0);
  EXPECT_LT(r.hi, 1.0f);
}

TEST(CalibrationMethodTest, ParsesTheThreeNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseCalibrationMethod("minmax"), CalibrationMethod::kMinMax);
  EXPECT_EQ(*ParseCalibrationMethod("percentile"), CalibrationMethod::kPercentile);
  EXPECT_EQ(*ParseCalibrationMethod("entropy"), CalibrationMethod::kEntropy);
  auto bad = ParseCalibrationMethod("kl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'kl'"), std::string::npos);
}

}  // namespace
}  // namespace rvm::quantize
