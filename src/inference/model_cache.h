// ModelCache: where the ONNX Runtime backend keeps optimized graphs between
// runs, and how an entry is trusted.
//
// An entry is <dir>/<key>.onnx plus <dir>/<key>.json (its manifest). The key
// is a hash of the model file's SHA-256, the runtime version, the session
// options that shape the optimized graph and the CPU's identity, so a changed
// model, runtime or machine never meets an old entry. The manifest is written
// last (atomically) and records the SHA-256 of the optimized file: an entry
// with no manifest, a manifest that does not parse or does not match the key's
// inputs, or a file whose hash differs, is stale or corrupt and is rebuilt.
// Thread-compatible; concurrent processes are safe because files are
// published with atomic renames.
#pragma once

#include <string>

#include "base/status.h"
#include "config/execution_providers.h"

namespace rvm {

struct CacheKeyInputs {
  std::string model_sha256;
  std::string runtime_version;
  std::string options;  // canonical string of the session options that affect the graph
  std::string cpu;      // hardware identity: the CPU's (graphs) or the GPU's (TensorRT engines)
};

// The key of a cache entry: a hash of all the inputs, so that an entry made
// for another model, runtime, option set or machine is never found.
std::string CacheKey(const CacheKeyInputs& inputs);

class ModelCache {
 public:
  ModelCache(std::string dir, CacheKeyInputs inputs);

  const std::string& key() const { return key_; }
  std::string model_path() const;  // the optimized graph
  std::string manifest_path() const;
  // Where the runtime should write a fresh optimized graph before Publish().
  std::string staging_path() const;

  // OK when a trustworthy entry exists. NotFound when there is none;
  // InvalidArgument (with the reason) when one exists but must not be trusted.
  Status Verify() const;
  // Moves the staged graph into place and writes the manifest.
  Status Publish() const;
  // Removes the entry (both files), ignoring absence.
  void Remove() const;

 private:
  std::string dir_;
  CacheKeyInputs inputs_;
  std::string key_;
};

// Model name and feature flags of this CPU, from /proc/cpuinfo (empty if unreadable).
std::string CpuIdentity();

// What a TensorRT engine depends on besides the model and ONNX Runtime: the
// NVIDIA driver (/proc/driver/nvidia/version, on a PC) or the Jetson's L4T
// release (/etc/nv_tegra_release, which fixes its CUDA and TensorRT);
// empty when neither exists.
std::string GpuIdentity();

// Where TensorRT keeps the engines it builds for one model:
// <dir>/tensorrt-<key>, the key made like a cache entry's from the model's
// SHA-256, the runtime version, the TensorRT settings and the GPU identity.
// ONNX Runtime names engine files by the model's graph alone, so this key is
// what keeps a changed model, runtime or setting from meeting an old engine.
std::string TensorRtEngineDir(const std::string& dir, const std::string& model_sha256,
                              const std::string& runtime_version,
                              const ExecutionProviderOptions& options,
                              const std::string& gpu_identity);

}  // namespace rvm
