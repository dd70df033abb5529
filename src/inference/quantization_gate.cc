#include "inference/quantization_gate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string_view>

#include "base/file_util.h"
#include "base/sha256.h"

namespace rvm {

Result<bool> IsQuantizedModelFile(const std::string& path,
                                  const std::map<std::string, std::string>& metadata) {
  if (metadata.count("rvm_quantized")) return true;
  auto bytes = ReadFileBytes(path, "model");
  if (!bytes.ok()) return bytes.status();
  const std::string_view data(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  for (std::string_view op : {"DequantizeLinear", "QuantizeLinear", "QLinearConv"}) {
    if (data.find(op) != std::string_view::npos) return true;
  }
  return false;
}

Status CheckQuantizationGate(const std::string& path, const std::string& sha256,
                             const std::map<std::string, std::string>& metadata,
                             bool allow_unverified, std::string* summary) {
  if (summary) summary->clear();
  if (allow_unverified && !summary) return Status::Ok();
  auto quantized = IsQuantizedModelFile(path, metadata);
  if (!quantized.ok()) return quantized.status();
  if (!*quantized) return Status::Ok();
  if (allow_unverified) {
    *summary = "quantized; accuracy report not checked (forced)";
    return Status::Ok();
  }
  const std::string report_path = path + ".report.json";
  const std::string hint =
      " (run `rvm-edge quantize` again, or pass --force-int8 to load it anyway)";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(report_path, ec)) {
    return Status(
        StatusCode::kInvalidArgument,
        "quantized model '" + path + "' has no accuracy report '" + report_path + "'" + hint);
  }
  auto bytes = ReadFileBytes(report_path, "accuracy report");
  if (!bytes.ok()) return bytes.status();
  nlohmann::json j = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model_sha256") ||
      !j["model_sha256"].is_string() || !j.contains("passed") || !j["passed"].is_boolean()) {
    return Status(StatusCode::kInvalidArgument,
                  "accuracy report '" + report_path +
                      "' is not a quantization report (needs model_sha256 and passed)" + hint);
  }
  std::string actual = sha256;
  if (actual.empty()) {
    auto s = Sha256File(path, "model");
    if (!s.ok()) return s.status();
    actual = *s;
  }
  if (j["model_sha256"].get<std::string>() != actual) {
    return Status(StatusCode::kInvalidArgument,
                  "accuracy report '" + report_path + "' is for another file (sha256 " +
                      j["model_sha256"].get<std::string>() + "), not quantized model '" + path +
                      "' (sha256 " + actual + ")" + hint);
  }
  if (!j["passed"].get<bool>()) {
    return Status(StatusCode::kInvalidArgument, "quantized model '" + path +
                                                    "' failed its accuracy gate (see '" +
                                                    report_path + "')" + hint);
  }
  if (summary) {
    // A number inside an object of the report, or -1 (absent or not a number).
    auto number = [&j](const char* object, const char* key) {
      auto o = j.find(object);
      if (o == j.end() || !o->is_object()) return -1.0;
      auto v = o->find(key);
      return v != o->end() && v->is_number() ? v->get<double>() : -1.0;
    };
    *summary = "quantized; accuracy gate passed";
    char text[64];
    if (const double agreement = number("agreement", "value"); agreement >= 0) {
      std::snprintf(text, sizeof text, " (agreement %.1f%%)", 100 * agreement);
      *summary += text;
    }
    if (const double speedup = number("speed", "speedup"); speedup > 0) {
      std::snprintf(text, sizeof text, "; %.2fx", speedup);
      *summary += std::string(text) + " the FP32 model's speed where it was quantized" +
                  (speedup < 1 ? " (slower: the FP32 model serves better there)" : "");
    }
  }
  return Status::Ok();
}

}  // namespace rvm
