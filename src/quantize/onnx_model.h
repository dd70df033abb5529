// Reading, checking and writing ONNX models as the ONNX library's own
// protobuf classes (onnx::ModelProto), plus the few graph queries the
// quantizer needs. Free functions over caller-owned protos; thread-compatible.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <vector>

#include "base/status.h"

namespace rvm::quantize {

// Metadata key the quantizer stamps into every model it writes; its value
// describes the quantization (method, per-channel).
inline constexpr const char* kQuantizedMetadataKey = "rvm_quantized";

// Parses an ONNX file. Errors name the path: missing, unreadable, not ONNX.
Result<onnx::ModelProto> LoadOnnxModel(const std::string& path);

// Serializes `model` and writes it atomically (temp file + rename).
Status SaveOnnxModel(const onnx::ModelProto& model, const std::string& path);

// Runs the ONNX checker; the message names `what` on failure.
Status CheckOnnxModel(const onnx::ModelProto& model, const std::string& what);

// Opset version of the default ("" / "ai.onnx") domain, 0 when absent.
int DefaultOpset(const onnx::ModelProto& model);

// Converts the model to `opset` of the default domain when it is older
// (per-channel DequantizeLinear needs opset 13).
Status UpgradeOpset(onnx::ModelProto& model, int opset);

// True when the graph already holds QuantizeLinear/DequantizeLinear or
// integer (QLinear*/ConvInteger/MatMulInteger) operators.
bool IsQuantizedModel(const onnx::ModelProto& model);

// The float values of an initializer (float_data or raw_data); an error for
// other element types.
Result<std::vector<float>> TensorToFloats(const onnx::TensorProto& tensor);

// Initializers by name (pointers into `graph`; valid while it is unchanged).
std::map<std::string, const onnx::TensorProto*> InitializersByName(const onnx::GraphProto& graph);

// Sets (or replaces) one metadata_props entry.
void SetMetadata(onnx::ModelProto& model, const std::string& key, const std::string& value);

}  // namespace rvm::quantize
