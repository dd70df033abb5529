// SHA-256 of bytes or of a file, as lowercase hex. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace rvm {

std::string Sha256Hex(std::string_view data);
// Streams the file; `what` names its role in error messages.
Result<std::string> Sha256File(const std::string& path, std::string_view what = "file");

}  // namespace rvm
