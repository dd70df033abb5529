#include "inference/opencv_engine.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <chrono>
#include <cstring>

#include "base/file_util.h"
#include "base/sha256.h"
#include "inference/ort_engine.h"

namespace rvm {
namespace {

Result<cv::dnn::Net> ParseNet(const std::vector<uint8_t>& bytes, const std::string& path) {
  try {
    cv::dnn::Net net =
        cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (net.empty()) return InvalidArgument("model '" + path + "': OpenCV DNN cannot load it");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return InvalidArgument("model '" + path + "': OpenCV DNN cannot load it (" + e.what() + ")");
  }
}

class OpencvRunner final : public EngineRunner {
 public:
  OpencvRunner(cv::dnn::Net net, const ModelInfo& info, int capacity)
      : net_(std::move(net)), info_(info), capacity_(capacity) {
    input_.resize(info.input_elements_per_image() * capacity);
    output_.resize(info.output_elements_per_image() * capacity);
  }

  int capacity() const override { return capacity_; }
  float* input() override { return input_.data(); }
  const float* output() const override { return output_.data(); }

  Status Run(int n) override {
    if (n < 1 || n > capacity_) return InvalidArgument("batch outside 1..capacity");
    const int dims[] = {n, 3, info_.input_height, info_.input_width};
    cv::Mat blob(4, dims, CV_32F, input_.data());
    try {
      net_.setInput(blob);
      cv::Mat out = net_.forward(info_.output_name);
      const size_t want = info_.output_elements_per_image() * n;
      if (out.total() != want || out.type() != CV_32F) {
        return Internal("model '" + info_.path + "': OpenCV DNN produced " +
                        std::to_string(out.total()) + " output values, expected " +
                        std::to_string(want));
      }
      std::memcpy(output_.data(), out.ptr<float>(), want * sizeof(float));
    } catch (const cv::Exception& e) {
      return Internal("model '" + info_.path + "': OpenCV DNN inference failed (" + e.what() + ")");
    }
    return Status::Ok();
  }

 private:
  cv::dnn::Net net_;
  const ModelInfo& info_;
  int capacity_;
  std::vector<float> input_, output_;
};

class OpencvEngine final : public InferenceEngine {
 public:
  OpencvEngine(std::vector<uint8_t> bytes, ModelInfo info)
      : bytes_(std::move(bytes)), info_(std::move(info)) {}

  const ModelInfo& info() const override { return info_; }

  Result<std::unique_ptr<EngineRunner>> NewRunner(int batch) override {
    if (batch < 1) return InvalidArgument("batch must be >= 1");
    if (info_.batch > 0 && batch != info_.batch) {
      return InvalidArgument("model '" + info_.path + "' has a fixed batch of " +
                             std::to_string(info_.batch));
    }
    auto net = ParseNet(bytes_, info_.path);
    if (!net.ok()) return net.status();
    return std::unique_ptr<EngineRunner>(new OpencvRunner(std::move(*net), info_, batch));
  }

 private:
  std::vector<uint8_t> bytes_;
  ModelInfo info_;
};

}  // namespace

Result<std::shared_ptr<InferenceEngine>> LoadOpencvEngine(const EngineOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  // The interface (input size, output shape, metadata) is read the same way
  // for both backends so they agree on preprocessing and decoding.
  auto info = InspectModel(o.model_path);
  if (!info.ok()) return info.status();
  auto bytes = ReadFileBytes(o.model_path, "model");
  if (!bytes.ok()) return bytes.status();
  info->sha256 =
      Sha256Hex(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  info->backend = "opencv";
  info->cache = "off";
  cv::setNumThreads(o.threads);
  // Parse once now so a model OpenCV cannot run fails at load, not at first frame.
  auto net = ParseNet(*bytes, o.model_path);
  if (!net.ok()) return net.status();
  info->load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return std::shared_ptr<InferenceEngine>(
      std::make_shared<OpencvEngine>(std::move(*bytes), std::move(*info)));
}

}  // namespace rvm
