#include "inference/model_cache.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sha256.h"

namespace rvm {

std::string CpuIdentity() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model, flags;
  while (std::getline(in, line)) {
    if (model.empty() && line.rfind("model name", 0) == 0) model = line;
    if (flags.empty() && (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0)) {
      flags = line;
    }
    if (!model.empty() && !flags.empty()) break;
  }
  return model + "|" + flags;
}

std::string GpuIdentity() {
  std::string identity;
  for (const char* path : {"/proc/driver/nvidia/version", "/etc/nv_tegra_release"}) {
    std::ifstream in(path);
    std::string line;
    if (std::getline(in, line)) identity += line + "|";
  }
  return identity;
}

std::string CacheKey(const CacheKeyInputs& in) {
  return Sha256Hex(in.model_sha256 + "\n" + in.runtime_version + "\n" + in.options + "\n" + in.cpu)
      .substr(0, 32);
}

std::string TensorRtEngineDir(const std::string& dir, const std::string& model_sha256,
                              const std::string& runtime_version,
                              const ExecutionProviderOptions& o,
                              const std::string& gpu_identity) {
  const std::string options = "tensorrt fp16=" + std::to_string(o.tensorrt_fp16) +
                              " int8=" + std::to_string(o.tensorrt_int8) +
                              " workspace=" + std::to_string(o.tensorrt_workspace_bytes) +
                              " device=" + std::to_string(o.gpu_device_id);
  return dir + "/tensorrt-" + CacheKey({model_sha256, runtime_version, options, gpu_identity});
}

ModelCache::ModelCache(std::string dir, CacheKeyInputs inputs)
    : dir_(std::move(dir)), inputs_(std::move(inputs)), key_(CacheKey(inputs_)) {}

std::string ModelCache::model_path() const { return dir_ + "/" + key_ + ".onnx"; }
std::string ModelCache::manifest_path() const { return dir_ + "/" + key_ + ".json"; }
std::string ModelCache::staging_path() const {
  return dir_ + "/" + key_ + ".onnx.staging." + std::to_string(::getpid());
}

Status ModelCache::Verify() const {
  std::error_code ec;
  if (!std::filesystem::exists(manifest_path(), ec)) {
    if (std::filesystem::exists(model_path(), ec)) {
      return InvalidArgument("cache entry '" + model_path() + "' has no manifest");
    }
    return NotFound("no cache entry for key " + key_);
  }
  auto bytes = ReadFileBytes(manifest_path(), "cache manifest");
  if (!bytes.ok()) return InvalidArgument(bytes.status().message());
  nlohmann::json m = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (m.is_discarded() || !m.is_object()) {
    return InvalidArgument("cache manifest '" + manifest_path() + "' is not valid JSON");
  }
  auto field = [&](const char* k) { return m.value(k, std::string()); };
  if (field("model_sha256") != inputs_.model_sha256 ||
      field("runtime_version") != inputs_.runtime_version || field("options") != inputs_.options ||
      field("cpu") != inputs_.cpu) {
    return InvalidArgument("cache manifest '" + manifest_path() +
                           "' was written for another model, runtime, options or CPU");
  }
  auto actual = Sha256File(model_path(), "cached model");
  if (!actual.ok()) return InvalidArgument(actual.status().message());
  if (*actual != field("graph_sha256")) {
    return InvalidArgument("cached model '" + model_path() +
                           "' does not match its manifest's SHA-256 (corrupt or modified)");
  }
  return Status::Ok();
}

Status ModelCache::Publish() const {
  auto bytes = ReadFileBytes(staging_path(), "optimized model");
  if (!bytes.ok()) return bytes.status();
  const std::string_view graph(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const std::string hash = Sha256Hex(graph);
  // The runtime wrote the staged file without fsync; rewrite it durably under
  // its final name so a power cut never leaves a torn graph behind a manifest.
  RVM_RETURN_IF_ERROR(WriteFileAtomic(model_path(), graph));
  std::error_code ec;
  std::filesystem::remove(staging_path(), ec);
  nlohmann::json m = {{"model_sha256", inputs_.model_sha256},
                      {"runtime_version", inputs_.runtime_version},
                      {"options", inputs_.options},
                      {"cpu", inputs_.cpu},
                      {"graph_sha256", hash}};
  return WriteFileAtomic(manifest_path(), m.dump(2));
}

void ModelCache::Remove() const {
  std::error_code ec;
  std::filesystem::remove(manifest_path(), ec);
  std::filesystem::remove(model_path(), ec);
}

}  // namespace rvm
