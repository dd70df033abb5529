// Pins the claim that our per-image path does not touch the heap once warm:
// preprocessing and postprocessing of frames make zero allocations, and the
// detector adds none around the model runtime. ONNX Runtime's own Run() does
// allocate (its per-run execution-frame bookkeeping); that count is measured
// and reported here, not hidden, and documented in docs/performance.md.
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <iostream>

#include "inference/alloc_counter.h"
#include "inference/detector.h"

namespace rvm {
namespace {

std::string Shared(const std::string& rel) { return std::string(RVM_SHARED_DIR) + "/" + rel; }

std::shared_ptr<DetectorModel> Load(const std::string& model) {
  DetectorOptions o;
  o.engine.model_path = Shared(model);
  o.engine.threads = 2;
  auto m = DetectorModel::Load(o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

// Allocations made by preprocessing + postprocessing `frames` 20 times each,
// after a warm-up, using the model's real input spec, layout and output.
int64_t CountPrePostAllocations(const DetectorModel& model, const std::vector<cv::Mat>& frames,
                                const std::vector<float>& output) {
  Preprocessor pre(model.input_spec());
  Postprocessor post(model.layout(), PostprocessOptions{0.1f, 0.45f, 100});
  std::vector<float> tensor(pre.tensor_size());
  Detections dets;
  for (int warm = 0; warm < 2; ++warm) {
    for (const auto& f : frames) {
      EXPECT_TRUE(post.Run(output.data(), pre.Run(f, tensor.data()), dets).ok());
    }
  }
  EXPECT_FALSE(dets.empty()) << "the test output should decode to detections";
  const int64_t before = HeapAllocationCount();
  for (int i = 0; i < 20; ++i) {
    for (const auto& f : frames) {
      EXPECT_TRUE(post.Run(output.data(), pre.Run(f, tensor.data()), dets).ok());
    }
  }
  return HeapAllocationCount() - before;
}

void CheckModel(const std::string& model_path, const std::vector<std::string>& images) {
  auto model = Load(model_path);
  ASSERT_TRUE(model);
  auto det = model->NewDetector();
  ASSERT_TRUE(det.ok());
  std::vector<cv::Mat> frames;
  for (const auto& i : images) frames.push_back(cv::imread(Shared(i)));
  DetectionResult r;
  ASSERT_TRUE((*det)->Detect(frames[0], r).ok());
  const float* raw = (*det)->raw_output();
  std::vector<float> output(raw, raw + model->info().output_elements_per_image());
  EXPECT_EQ(CountPrePostAllocations(*model, frames, output), 0);

  // For the record: what the model runtime itself allocates per inference.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*det)->InferOnly().ok());
  const int64_t before = HeapAllocationCount();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*det)->InferOnly().ok());
  const int64_t per_run = (HeapAllocationCount() - before) / 10;
  std::cout << model_path << ": model runtime allocations per inference: " << per_run << "\n";
  ::testing::Test::RecordProperty("runtime_allocations_per_inference", static_cast<int>(per_run));
}

TEST(DetectorAllocationTest, YoloXPreAndPostprocessingMakeNoHeapAllocation) {
  CheckModel("models/yolox_nano.onnx",
             {"images/misc/nanodet_dog.jpg", "images/misc/smartbin_bottle.jpg"});
}

TEST(DetectorAllocationTest, FastestDetPreAndPostprocessingMakeNoHeapAllocation) {
  CheckModel("models/fastestdet.onnx", {"images/misc/nanodet_bus.jpg"});
}

}  // namespace
}  // namespace rvm
