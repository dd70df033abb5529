// Microbenchmarks of the per-image work around the model: JPEG decode (full
// and DCT-scaled), the fused letterbox preprocessor against OpenCV's
// resize + conversion, and postprocessing. Google Benchmark; run
// build/bench/vision_bench --benchmark_repetitions=5 and read the minimums.
#include <benchmark/benchmark.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/file_util.h"
#include "vision/image_decoder.h"
#include "vision/preprocess.h"

namespace rvm {
namespace {

const std::string kImage = std::string(RVM_SHARED_DIR) + "/images/dev/images/dw_alucan_1005.jpg";

void BM_DecodeJpegFull(benchmark::State& state) {
  auto bytes = ReadFileBytes(kImage);
  ImageDecoder dec;
  DecodedImage img;
  for (auto _ : state) {
    Status s = dec.Decode(bytes->data(), bytes->size(), "x", {}, img);
    benchmark::DoNotOptimize(img.bgr.data);
  }
}
BENCHMARK(BM_DecodeJpegFull)->Unit(benchmark::kMillisecond);

void BM_DecodeJpegScaledFor416(benchmark::State& state) {
  auto bytes = ReadFileBytes(kImage);
  ImageDecoder dec;
  DecodedImage img;
  for (auto _ : state) {
    Status s = dec.Decode(bytes->data(), bytes->size(), "x", {416, 416, true}, img);
    benchmark::DoNotOptimize(img.bgr.data);
  }
}
BENCHMARK(BM_DecodeJpegScaledFor416)->Unit(benchmark::kMillisecond);

void BM_OpencvImdecode(benchmark::State& state) {
  auto bytes = ReadFileBytes(kImage);
  for (auto _ : state) {
    cv::Mat m = cv::imdecode(cv::Mat(1, static_cast<int>(bytes->size()), CV_8UC1, bytes->data()),
                             cv::IMREAD_COLOR);
    benchmark::DoNotOptimize(m.data);
  }
}
BENCHMARK(BM_OpencvImdecode)->Unit(benchmark::kMillisecond);

void BM_FusedPreprocess(benchmark::State& state) {
  cv::Mat src = cv::imread(kImage);
  Preprocessor pre(InputSpecFor(ModelFamily::kYoloX, 416, 416));
  std::vector<float> tensor(pre.tensor_size());
  for (auto _ : state) {
    pre.Run(src, tensor.data());
    benchmark::DoNotOptimize(tensor.data());
  }
}
BENCHMARK(BM_FusedPreprocess)->Unit(benchmark::kMillisecond);

void BM_OpencvResizeThenConvert(benchmark::State& state) {
  cv::Mat src = cv::imread(kImage);
  cv::Mat canvas(416, 416, CV_8UC3, cv::Scalar::all(114));
  std::vector<float> tensor(3 * 416 * 416);
  const int rw = src.cols * 416 / src.rows;
  for (auto _ : state) {
    cv::Mat roi = canvas(cv::Rect(0, 0, rw, 416));
    cv::resize(src, roi, roi.size(), 0, 0, cv::INTER_LINEAR);
    std::vector<cv::Mat> planes = {cv::Mat(416, 416, CV_32F, tensor.data()),
                                   cv::Mat(416, 416, CV_32F, tensor.data() + 416 * 416),
                                   cv::Mat(416, 416, CV_32F, tensor.data() + 2 * 416 * 416)};
    cv::Mat f;
    canvas.convertTo(f, CV_32F);
    cv::split(f, planes);
    benchmark::DoNotOptimize(tensor.data());
  }
}
BENCHMARK(BM_OpencvResizeThenConvert)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rvm

BENCHMARK_MAIN();
