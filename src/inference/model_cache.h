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

namespace rvm {

struct CacheKeyInputs {
  std::string model_sha256;
  std::string runtime_version;
  std::string options;  // canonical string of the session options that affect the graph
  std::string cpu;      // CPU identity (model name and feature flags)
};

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

}  // namespace rvm
