#include "quantize/calibrator.h"

#include <onnxruntime_cxx_api.h>

#include <array>
#include <chrono>
#include <set>

#include "base/file_util.h"
#include "vision/image_decoder.h"
#include "vision/preprocess.h"

namespace rvm::quantize {
namespace {

Ort::Env& CalibrationEnv() {
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "rvm-quantize");
  return env;
}

}  // namespace

Result<CalibrationResult> Calibrate(const onnx::ModelProto& fp32,
                                    const std::vector<std::string>& tensors,
                                    const std::vector<std::string>& images,
                                    const CalibrationOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const onnx::GraphProto& g = fp32.graph();
  std::set<std::string> inits;
  for (const auto& t : g.initializer()) inits.insert(t.name());
  std::string input_name;
  for (const auto& in : g.input()) {
    if (!inits.count(in.name())) {
      input_name = in.name();
      break;
    }
  }
  if (input_name.empty()) return InvalidArgument("the model has no graph input");

  // The model with every tensor to measure as an extra output.
  onnx::ModelProto augmented = fp32;
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  std::vector<std::string> fetch;
  for (const std::string& t : tensors) {
    if (t == input_name) continue;
    if (!outputs.count(t)) {
      auto* vi = augmented.mutable_graph()->add_output();
      vi->set_name(t);
      vi->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    }
    fetch.push_back(t);
  }
  std::string bytes;
  if (!augmented.SerializeToString(&bytes)) return Internal("cannot serialize the model");

  std::unique_ptr<Ort::Session> session;
  try {
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(options.threads);
    so.SetInterOpNumThreads(1);
    // Basic optimizations only: folding constants keeps every tensor by name;
    // fusions could hide intermediate tensors from the fetch list.
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_BASIC);
    session = std::make_unique<Ort::Session>(CalibrationEnv(), bytes.data(), bytes.size(), so);
  } catch (const Ort::Exception& e) {
    return Internal(std::string("cannot load the calibration model: ") + e.what());
  }

  CalibrationResult result;
  for (const std::string& t : tensors) result.stats[t];
  Preprocessor pre(options.input);
  ImageDecoder decoder(options.max_image_pixels);
  DecodedImage decoded;
  std::vector<uint8_t> file_bytes;
  std::vector<float> input(pre.tensor_size());
  const std::array<int64_t, 4> shape = {1, 3, options.input.height, options.input.width};
  auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  std::vector<const char*> fetch_names;
  for (const auto& f : fetch) fetch_names.push_back(f.c_str());
  const DecodeTarget target{options.input.width, options.input.height,
                            options.input.resize != ResizeMode::kStretch};
  const bool input_measured = result.stats.count(input_name) > 0;

  for (const std::string& path : images) {
    Status s = ReadFileInto(path, file_bytes, "image");
    if (s.ok()) s = decoder.Decode(file_bytes.data(), file_bytes.size(), path, target, decoded);
    if (!s.ok()) {
      result.skipped.push_back(s.message());
      continue;
    }
    pre.Run(decoded.bgr, input.data());
    if (input_measured) result.stats[input_name].Add(input.data(), input.size());
    Ort::Value in = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape.data(),
                                                    shape.size());
    const char* in_name = input_name.c_str();
    try {
      auto outs = session->Run(Ort::RunOptions{nullptr}, &in_name, &in, 1, fetch_names.data(),
                               fetch_names.size());
      for (size_t i = 0; i < outs.size(); ++i) {
        const size_t n = outs[i].GetTensorTypeAndShapeInfo().GetElementCount();
        result.stats[fetch[i]].Add(outs[i].GetTensorData<float>(), n);
      }
    } catch (const Ort::Exception& e) {
      return Internal("calibration inference failed on '" + path + "': " + e.what());
    }
    ++result.images_read;
  }
  if (result.images_read < options.min_images) {
    std::string msg = "calibration needs at least " + std::to_string(options.min_images) +
                      " readable images; read " + std::to_string(result.images_read) + " of " +
                      std::to_string(images.size());
    if (!result.skipped.empty()) msg += " (first problem: " + result.skipped.front() + ")";
    return InvalidArgument(msg);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace rvm::quantize
