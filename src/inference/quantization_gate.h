// Quantization gate: the service loads a quantized (INT8) model only together
// with a passing accuracy report for that exact file.
//
// A model counts as quantized when its metadata carries the quantizer's
// marker ("rvm_quantized") or its graph names QuantizeLinear/DequantizeLinear
// or QLinear* operators (a plain byte search of the file: operator names are
// stored verbatim). Such a model needs "<model>.report.json" (written by
// `rvm-edge quantize`) whose "model_sha256" equals the file's SHA-256 and
// whose "passed" is true. `allow_unverified` (--force-int8) skips the check.
//
// Stateless; thread-safe.
#pragma once

#include <map>
#include <string>

#include "base/status.h"

namespace rvm {

// True when the model at `path` (with `metadata`) is a quantized model.
Result<bool> IsQuantizedModelFile(const std::string& path,
                                  const std::map<std::string, std::string>& metadata);

// OK when the model may be loaded; otherwise an error naming the model and
// what is missing or wrong with its report. `sha256` is the model file's hash.
// `summary`, when given, receives one line for a quantized model that may be
// loaded (its report's agreement, and its speed against FP32 where the
// report timed both; or that the report was not checked), empty otherwise.
Status CheckQuantizationGate(const std::string& path, const std::string& sha256,
                             const std::map<std::string, std::string>& metadata,
                             bool allow_unverified, std::string* summary = nullptr);

}  // namespace rvm
