// Small file helpers shared by every module that touches disk. All return
// Status values whose messages name the path. Thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rvm {

// Reads a whole file. `what` names the file's role in messages ("model", "image").
Result<std::vector<uint8_t>> ReadFileBytes(const std::string& path, std::string_view what = "file");

// Reads a whole file into `out`, reusing its capacity (no allocation when the
// file fits). Used on hot paths that read many files of similar size.
Status ReadFileInto(const std::string& path, std::vector<uint8_t>& out,
                    std::string_view what = "file");

// Writes `data` to `path` so that after return either the old or the new
// content survives a crash or power cut: write to a temporary file in the
// same directory, fsync it, rename over `path`, fsync the directory.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// Creates `path` and its parents if needed.
Status CreateDirectories(const std::string& path);

// `text` without a leading UTF-8 byte-order mark (EF BB BF), which some editors
// write at the start of a text file; any other text is returned as it is.
std::string_view WithoutUtf8Bom(std::string_view text);

}  // namespace rvm
