#include "quantize/onnx_model.h"

#include <onnx/checker.h>
#include <onnx/version_converter/convert.h>

#include <cstring>

#include "base/file_util.h"

namespace rvm::quantize {

Result<onnx::ModelProto> LoadOnnxModel(const std::string& path) {
  auto bytes = ReadFileBytes(path, "model");
  if (!bytes.ok()) return bytes.status();
  if (bytes->empty()) return InvalidArgument("model '" + path + "' is empty");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes->data(), static_cast<int>(bytes->size())) || !model.has_graph()) {
    return InvalidArgument("model '" + path + "' is not an ONNX model");
  }
  return model;
}

Status SaveOnnxModel(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  if (!model.SerializeToString(&bytes)) {
    return Internal("cannot serialize the model for '" + path + "'");
  }
  return WriteFileAtomic(path, bytes);
}

Status CheckOnnxModel(const onnx::ModelProto& model, const std::string& what) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return Internal(what + " fails the ONNX checker: " + e.what());
  }
  return Status::Ok();
}

int DefaultOpset(const onnx::ModelProto& model) {
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") return static_cast<int>(op.version());
  }
  return 0;
}

Status UpgradeOpset(onnx::ModelProto& model, int opset) {
  if (DefaultOpset(model) >= opset) return Status::Ok();
  try {
    model = onnx::version_conversion::ConvertVersion(model, opset);
  } catch (const std::exception& e) {
    return Unsupported("cannot convert the model from opset " +
                       std::to_string(DefaultOpset(model)) + " to " + std::to_string(opset) + ": " +
                       e.what());
  }
  return Status::Ok();
}

bool IsQuantizedModel(const onnx::ModelProto& model) {
  for (const auto& n : model.graph().node()) {
    const std::string& op = n.op_type();
    if (op == "QuantizeLinear" || op == "DequantizeLinear" || op == "ConvInteger" ||
        op == "MatMulInteger" || op.rfind("QLinear", 0) == 0) {
      return true;
    }
  }
  return false;
}

Result<std::vector<float>> TensorToFloats(const onnx::TensorProto& tensor) {
  if (tensor.data_type() != onnx::TensorProto::FLOAT) {
    return InvalidArgument("tensor '" + tensor.name() + "' is not float");
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    return Unsupported("tensor '" + tensor.name() + "' keeps its data in an external file");
  }
  int64_t count = 1;
  for (int64_t d : tensor.dims()) count *= d;
  std::vector<float> out;
  if (tensor.has_raw_data()) {
    const std::string& raw = tensor.raw_data();
    if (raw.size() != static_cast<size_t>(count) * sizeof(float)) {
      return InvalidArgument("tensor '" + tensor.name() + "' holds " + std::to_string(raw.size()) +
                             " bytes, expected " + std::to_string(count * sizeof(float)));
    }
    out.resize(count);
    std::memcpy(out.data(), raw.data(), raw.size());
  } else {
    if (tensor.float_data_size() != count) {
      return InvalidArgument("tensor '" + tensor.name() + "' holds " +
                             std::to_string(tensor.float_data_size()) + " values, expected " +
                             std::to_string(count));
    }
    out.assign(tensor.float_data().begin(), tensor.float_data().end());
  }
  return out;
}

std::map<std::string, const onnx::TensorProto*> InitializersByName(const onnx::GraphProto& graph) {
  std::map<std::string, const onnx::TensorProto*> out;
  for (const auto& t : graph.initializer()) out[t.name()] = &t;
  return out;
}

void SetMetadata(onnx::ModelProto& model, const std::string& key, const std::string& value) {
  for (auto& p : *model.mutable_metadata_props()) {
    if (p.key() == key) {
      p.set_value(value);
      return;
    }
  }
  auto* p = model.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace rvm::quantize
