#include "inference/ort_engine.h"

#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>

#include "base/file_util.h"
#include "base/sha256.h"
#include "inference/model_cache.h"
#include "inference/provider_selection.h"

namespace rvm {
namespace {

// ONNX Runtime's own error log. While a thread loads an execution provider
// its messages are collected instead of printed: they hold the reason a
// provider failed (the library that did not load), which becomes part of the
// one line that reports the skip.
thread_local std::vector<std::string>* ort_log_capture = nullptr;

void OrtLog(void*, OrtLoggingLevel severity, const char*, const char*, const char* code_location,
            const char* message) {
  if (ort_log_capture != nullptr) {
    ort_log_capture->emplace_back(message);
    return;
  }
  std::fprintf(stderr, "onnxruntime %s: %s (%s)\n",
               severity >= ORT_LOGGING_LEVEL_ERROR ? "error" : "warning", message, code_location);
}

// ONNX Runtime's messages end in a newline or two; a log line must not.
std::string Trimmed(std::string m) {
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

class CaptureOrtLog {
 public:
  CaptureOrtLog() : previous_(ort_log_capture) { ort_log_capture = &lines_; }
  ~CaptureOrtLog() { ort_log_capture = previous_; }
  CaptureOrtLog(const CaptureOrtLog&) = delete;
  CaptureOrtLog& operator=(const CaptureOrtLog&) = delete;

  // The last message, without ONNX Runtime's source location and status prefix.
  std::string LastReason() const {
    if (lines_.empty()) return "";
    std::string m = lines_.back();
    for (const char* marker : {" : FAIL : ", "] "}) {
      if (size_t at = m.rfind(marker); at != std::string::npos) {
        m = m.substr(at + std::char_traits<char>::length(marker));
        break;
      }
    }
    return Trimmed(m);
  }

 private:
  std::vector<std::string> lines_;
  std::vector<std::string>* previous_;
};

Ort::Env& Env() {
  static Ort::Env env(ORT_LOGGING_LEVEL_ERROR, "rvm-edge", OrtLog, nullptr);
  return env;
}

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

Status CheckModelFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound("model '" + path + "': no such file");
  if (std::filesystem::is_directory(path, ec)) {
    return InvalidArgument("model '" + path + "': is a directory");
  }
  if (std::filesystem::file_size(path, ec) == 0) {
    return InvalidArgument("model '" + path + "': file is empty");
  }
  return Status::Ok();
}

// Fills the interface fields of `info` from a session.
Status ReadInterface(Ort::Session& session, const std::string& path, ModelInfo& info) {
  Ort::AllocatorWithDefaultOptions alloc;
  if (session.GetInputCount() != 1) {
    return Unsupported("model '" + path + "': has " + std::to_string(session.GetInputCount()) +
                       " inputs; a detector takes exactly one image tensor");
  }
  if (session.GetOutputCount() < 1) return Unsupported("model '" + path + "': has no outputs");
  info.input_name = session.GetInputNameAllocated(0, alloc).get();
  info.output_name = session.GetOutputNameAllocated(0, alloc).get();
  // The shape info is a view into the TypeInfo: keep the TypeInfo alive.
  Ort::TypeInfo in_type = session.GetInputTypeInfo(0);
  auto in_info = in_type.GetTensorTypeAndShapeInfo();
  if (in_info.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
    return Unsupported("model '" + path + "': input '" + info.input_name +
                       "' is not float32; only float32 image inputs are supported");
  }
  std::vector<int64_t> in_shape = in_info.GetShape();
  if (in_shape.size() != 4 || in_shape[1] != 3 || in_shape[2] <= 0 || in_shape[3] <= 0) {
    std::string s = "[";
    for (size_t i = 0; i < in_shape.size(); ++i) s += (i ? ", " : "") + std::to_string(in_shape[i]);
    return Unsupported("model '" + path + "': input shape " + s +
                       "] is not [batch, 3, height, width] with a fixed height and width");
  }
  info.batch = in_shape[0] > 0 ? static_cast<int>(in_shape[0]) : -1;
  info.input_height = static_cast<int>(in_shape[2]);
  info.input_width = static_cast<int>(in_shape[3]);
  Ort::TypeInfo out_type = session.GetOutputTypeInfo(0);
  info.output_shape = out_type.GetTensorTypeAndShapeInfo().GetShape();
  if (!info.output_shape.empty()) info.output_shape[0] = 1;

  Ort::ModelMetadata md = session.GetModelMetadata();
  for (auto& key : md.GetCustomMetadataMapKeysAllocated(alloc)) {
    auto value = md.LookupCustomMetadataMapAllocated(key.get(), alloc);
    if (value) info.metadata[key.get()] = value.get();
  }
  return Status::Ok();
}

class OrtRunner final : public EngineRunner {
 public:
  static Result<std::unique_ptr<EngineRunner>> Create(Ort::Session& session, const ModelInfo& info,
                                                      int capacity) {
    auto r = std::unique_ptr<OrtRunner>(new OrtRunner(session, info, capacity));
    try {
      r->Bind();
    } catch (const Ort::Exception& e) {
      return Internal("model '" + info.path + "': cannot bind tensors: " + e.what());
    }
    return std::unique_ptr<EngineRunner>(std::move(r));
  }

  int capacity() const override { return capacity_; }
  float* input() override { return input_.data(); }
  const float* output() const override { return output_.data(); }

  Status Run(int n) override {
    if (n < 1 || n > capacity_) {
      return InvalidArgument("batch of " + std::to_string(n) + " outside 1.." +
                             std::to_string(capacity_));
    }
    try {
      session_.Run(run_options_, *bindings_[n - 1]);
    } catch (const Ort::Exception& e) {
      return Internal("model '" + info_.path + "': inference failed: " + e.what());
    }
    return Status::Ok();
  }

 private:
  OrtRunner(Ort::Session& session, const ModelInfo& info, int capacity)
      : session_(session), info_(info), capacity_(capacity) {
    input_.resize(info.input_elements_per_image() * capacity);
    output_.resize(info.output_elements_per_image() * capacity);
  }

  // One binding per batch size, prepared up front so Run() only executes.
  void Bind() {
    auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    for (int n = 1; n <= capacity_; ++n) {
      std::vector<int64_t> in_shape = {n, 3, info_.input_height, info_.input_width};
      std::vector<int64_t> out_shape = info_.output_shape;
      out_shape[0] = n;
      values_.push_back(Ort::Value::CreateTensor<float>(mem, input_.data(),
                                                        info_.input_elements_per_image() * n,
                                                        in_shape.data(), in_shape.size()));
      Ort::Value& in = values_.back();
      values_.push_back(Ort::Value::CreateTensor<float>(mem, output_.data(),
                                                        info_.output_elements_per_image() * n,
                                                        out_shape.data(), out_shape.size()));
      Ort::Value& out = values_.back();
      auto binding = std::make_unique<Ort::IoBinding>(session_);
      binding->BindInput(info_.input_name.c_str(), in);
      binding->BindOutput(info_.output_name.c_str(), out);
      bindings_.push_back(std::move(binding));
    }
  }

  Ort::Session& session_;
  const ModelInfo& info_;
  int capacity_;
  std::vector<float> input_, output_;
  std::deque<Ort::Value> values_;  // deque: references stay valid as it grows
  std::vector<std::unique_ptr<Ort::IoBinding>> bindings_;
  Ort::RunOptions run_options_;
};

class OrtEngine final : public InferenceEngine {
 public:
  OrtEngine(std::unique_ptr<Ort::Session> session, ModelInfo info)
      : session_(std::move(session)), info_(std::move(info)) {}

  const ModelInfo& info() const override { return info_; }

  Result<std::unique_ptr<EngineRunner>> NewRunner(int batch) override {
    if (batch < 1) return InvalidArgument("batch must be >= 1");
    if (info_.batch > 0 && batch != info_.batch) {
      return InvalidArgument("model '" + info_.path + "' has a fixed batch of " +
                             std::to_string(info_.batch) + ", not " + std::to_string(batch));
    }
    return OrtRunner::Create(*session_, info_, batch);
  }

  // Runs once with a zero input: learns output dims the model leaves
  // symbolic and pays the first-run costs before the first real frame.
  Status WarmUp() {
    std::vector<int64_t> in_shape = {1, 3, info_.input_height, info_.input_width};
    std::vector<float> zeros(info_.input_elements_per_image(), 0.0f);
    auto mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    Ort::Value in = Ort::Value::CreateTensor<float>(mem, zeros.data(), zeros.size(),
                                                    in_shape.data(), in_shape.size());
    const char* in_names[] = {info_.input_name.c_str()};
    const char* out_names[] = {info_.output_name.c_str()};
    try {
      auto out = session_->Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
      info_.output_shape = out[0].GetTensorTypeAndShapeInfo().GetShape();
    } catch (const Ort::Exception& e) {
      return InvalidArgument("model '" + info_.path + "': a test inference failed: " + e.what());
    }
    return Status::Ok();
  }

  ModelInfo& mutable_info() { return info_; }

 private:
  std::unique_ptr<Ort::Session> session_;
  ModelInfo info_;
};

Ort::SessionOptions MakeSessionOptions(const EngineOptions& o, bool optimize) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(o.threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ORT_SEQUENTIAL);
  so.AddConfigEntry("session.intra_op.allow_spinning", o.spin ? "1" : "0");
  so.AddConfigEntry("session.inter_op.allow_spinning", "0");
  so.SetGraphOptimizationLevel(optimize ? GraphOptimizationLevel::ORT_ENABLE_ALL
                                        : GraphOptimizationLevel::ORT_DISABLE_ALL);
  return so;
}

// Adds one GPU provider to `so`. Fails when this ONNX Runtime cannot load it:
// a CPU-only build, a missing provider library, or missing CUDA/TensorRT
// libraries that the provider library needs.
Status AppendProvider(Ort::SessionOptions& so, const std::string& provider,
                      const ExecutionProviderOptions& x, const std::string& engine_dir) {
  Env();  // loading a provider logs through the environment's logger: it must exist first
  CaptureOrtLog log;
  try {
    // The V1 option structs: a CPU-only runtime with the provider libraries
    // beside it (the split x86-64 GPU package) takes only these.
    if (provider == "cuda") {
      OrtCUDAProviderOptions cuda;
      cuda.device_id = x.gpu_device_id;
      so.AppendExecutionProvider_CUDA(cuda);
    } else if (provider == "tensorrt") {
      OrtTensorRTProviderOptions trt{};
      trt.device_id = x.gpu_device_id;
      trt.trt_max_partition_iterations = 1000;  // ONNX Runtime's defaults for the two
      trt.trt_min_subgraph_size = 1;
      trt.trt_max_workspace_size = static_cast<size_t>(x.tensorrt_workspace_bytes);
      trt.trt_fp16_enable = x.tensorrt_fp16 ? 1 : 0;
      trt.trt_int8_enable = x.tensorrt_int8 ? 1 : 0;
      trt.trt_engine_cache_enable = engine_dir.empty() ? 0 : 1;
      trt.trt_engine_cache_path = engine_dir.c_str();
      so.AppendExecutionProvider_TensorRT(trt);
    } else {
      return InvalidArgument("'" + provider + "' is not a GPU execution provider");
    }
  } catch (const Ort::Exception& e) {
    std::string why = Trimmed(e.what());
    if (std::string detail = log.LastReason(); !detail.empty()) why += " (" + detail + ")";
    return Unavailable("this ONNX Runtime cannot load it: " + why);
  }
  return Status::Ok();
}

// An engine over an opened session: its interface read and one warm-up run.
Result<std::shared_ptr<OrtEngine>> WarmEngine(std::unique_ptr<Ort::Session> session,
                                              const EngineOptions& o, const std::string& sha) {
  ModelInfo info;
  info.path = o.model_path;
  info.sha256 = sha;
  info.backend = "ort";
  RVM_RETURN_IF_ERROR(ReadInterface(*session, o.model_path, info));
  auto engine = std::make_shared<OrtEngine>(std::move(session), std::move(info));
  RVM_RETURN_IF_ERROR(engine->WarmUp());
  return engine;
}

// A session on the CPU provider alone, through the optimised-graph cache.
Result<std::shared_ptr<OrtEngine>> OpenCpuSession(const EngineOptions& o, const std::string& sha,
                                                  std::string& cache_state,
                                                  std::string& cache_detail) {
  std::unique_ptr<ModelCache> cache;
  if (!o.cache_dir.empty()) {
    if (Status s = CreateDirectories(o.cache_dir); !s.ok()) {
      cache_detail = s.message();  // an unwritable cache only costs start-up time
    } else {
      // Thread count and spinning do not change the optimized graph.
      cache = std::make_unique<ModelCache>(
          o.cache_dir, CacheKeyInputs{sha, OrtVersion(), "level=all", CpuIdentity()});
    }
  }

  std::unique_ptr<Ort::Session> session;
  if (cache) {
    Status v = cache->Verify();
    if (v.ok()) {
      try {
        session = std::make_unique<Ort::Session>(Env(), cache->model_path().c_str(),
                                                 MakeSessionOptions(o, false));
        cache_state = "hit";
      } catch (const Ort::Exception& e) {
        v = InvalidArgument(std::string("cached model does not load: ") + e.what());
      }
    }
    if (!session) {
      if (v.code() != StatusCode::kNotFound) {
        cache_state = "rebuilt";
        cache_detail = v.message();
        cache->Remove();
      } else {
        cache_state = "miss";
      }
    }
  }
  if (!session) {
    Ort::SessionOptions so = MakeSessionOptions(o, true);
    if (cache) so.SetOptimizedModelFilePath(cache->staging_path().c_str());
    try {
      session = std::make_unique<Ort::Session>(Env(), o.model_path.c_str(), so);
    } catch (const Ort::Exception& e) {
      if (cache) std::filesystem::remove(cache->staging_path());
      return InvalidArgument("model '" + o.model_path + "': not a loadable ONNX model (" +
                             e.what() + ")");
    }
  }
  auto warm = WarmEngine(std::move(session), o, sha);
  if (!warm.ok()) return warm.status();
  std::shared_ptr<OrtEngine> engine = std::move(warm).value();
  if (cache && cache_state != "hit") {
    if (Status s = cache->Publish(); !s.ok()) {
      cache_state = "off";
      cache_detail = "could not store the optimized graph: " + s.message();
    }
  }
  return engine;
}

// A session with GPU providers `gpu` (in order) before the CPU, run once so
// that a missing device or a graph TensorRT cannot build shows here. Graphs
// optimised for a GPU provider hold its fused or compiled nodes, so they are
// not stored in the optimised-graph cache; TensorRT keeps its own engines.
Result<std::shared_ptr<OrtEngine>> OpenGpuSession(const EngineOptions& o,
                                                  const std::vector<std::string>& gpu,
                                                  const std::string& engine_dir,
                                                  const std::string& sha) {
  Ort::SessionOptions so = MakeSessionOptions(o, true);
  for (const std::string& p : gpu) RVM_RETURN_IF_ERROR(AppendProvider(so, p, o.execution, engine_dir));
  CaptureOrtLog log;
  std::unique_ptr<Ort::Session> session;
  try {
    session = std::make_unique<Ort::Session>(Env(), o.model_path.c_str(), so);
  } catch (const Ort::Exception& e) {
    std::string why = Trimmed(e.what());
    if (std::string detail = log.LastReason(); !detail.empty() && why.find(detail) == why.npos) {
      why += " (" + detail + ")";
    }
    return Unavailable(why);
  }
  return WarmEngine(std::move(session), o, sha);
}

}  // namespace

size_t ModelInfo::output_elements_per_image() const {
  size_t n = 1;
  for (size_t i = 1; i < output_shape.size(); ++i)
    n *= static_cast<size_t>(std::max<int64_t>(output_shape[i], 1));
  return n;
}

std::string OrtVersion() { return Ort::GetVersionString(); }

Result<ModelInfo> InspectModel(const std::string& path) {
  RVM_RETURN_IF_ERROR(CheckModelFile(path));
  EngineOptions o;
  o.threads = 1;
  try {
    Ort::Session session(Env(), path.c_str(), MakeSessionOptions(o, false));
    ModelInfo info;
    info.path = path;
    RVM_RETURN_IF_ERROR(ReadInterface(session, path, info));
    return info;
  } catch (const Ort::Exception& e) {
    return InvalidArgument("model '" + path + "': not a loadable ONNX model (" + e.what() + ")");
  }
}

Result<std::shared_ptr<InferenceEngine>> LoadOrtEngine(const EngineOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  RVM_RETURN_IF_ERROR(CheckModelFile(o.model_path));
  auto sha = Sha256File(o.model_path, "model");
  if (!sha.ok()) return sha.status();
  const ExecutionProviderOptions& x = o.execution;
  const std::string engine_dir =
      o.cache_dir.empty() ? "" : TensorRtEngineDir(o.cache_dir, *sha, OrtVersion(), x, GpuIdentity());

  std::shared_ptr<OrtEngine> engine;
  std::string cache_state = "off", cache_detail;
  auto load = [&](const std::string& provider) -> Status {
    Ort::SessionOptions so;
    return AppendProvider(so, provider, x, engine_dir);
  };
  auto open = [&](const std::vector<std::string>& gpu) -> Status {
    engine.reset();
    cache_state = "off";
    cache_detail.clear();
    if (gpu.empty()) {
      auto cpu = OpenCpuSession(o, *sha, cache_state, cache_detail);
      if (!cpu.ok()) return cpu.status();
      engine = std::move(*cpu);
      return Status::Ok();
    }
    const bool tensorrt = std::find(gpu.begin(), gpu.end(), "tensorrt") != gpu.end();
    if (tensorrt && !engine_dir.empty()) {
      std::error_code ec;
      const bool had_engines = !std::filesystem::is_empty(engine_dir, ec) && !ec;
      cache_state = had_engines ? "hit" : "miss";
      cache_detail = "TensorRT engines in " + engine_dir;
      if (Status s = CreateDirectories(engine_dir); !s.ok()) {
        return Unavailable("TensorRT engine cache: " + s.message());
      }
      auto opened = OpenGpuSession(o, gpu, engine_dir, *sha);
      if (!opened.ok() && had_engines) {
        // An engine left by a crash mid-write, or built by another TensorRT: rebuild once.
        std::filesystem::remove_all(engine_dir, ec);
        RVM_RETURN_IF_ERROR(CreateDirectories(engine_dir));
        cache_state = "rebuilt";
        cache_detail = "cached TensorRT engine did not load (" + opened.status().message() +
                       "); engines in " + engine_dir;
        opened = OpenGpuSession(o, gpu, engine_dir, *sha);
      }
      if (!opened.ok()) return opened.status();
      engine = std::move(*opened);
      return Status::Ok();
    }
    auto opened = OpenGpuSession(o, gpu, engine_dir, *sha);
    if (!opened.ok()) return opened.status();
    engine = std::move(*opened);
    cache_detail = "the optimised-graph cache serves CPU sessions only";
    return Status::Ok();
  };
  auto selection = SelectProviders(x, load, open);
  if (!selection.ok()) {
    // A provider's failure gets the model's name; the model's own error (the
    // CPU alone failed) names it already.
    const std::string named = "model '" + o.model_path + "'";
    const std::string& why = selection.status().message();
    if (why.rfind(named, 0) == 0) return selection.status();
    return Status(selection.status().code(), named + ": " + why);
  }
  ModelInfo& info = engine->mutable_info();
  info.cache = cache_state;
  info.cache_detail = cache_detail;
  info.execution_providers = selection->providers;
  info.provider_notes = selection->skipped;
  info.load_ms = MsSince(t0);
  return std::shared_ptr<InferenceEngine>(std::move(engine));
}

}  // namespace rvm
