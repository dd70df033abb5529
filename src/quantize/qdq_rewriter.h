// The QDQ rewrite: turns a float ONNX graph into the QuantizeLinear ->
// DequantizeLinear form that ONNX Runtime fuses into integer kernels
// (QLinearConv and friends).
//
//   activations: per-tensor, asymmetric uint8 (scale, zero point from the
//                calibrated range, which is widened to include 0);
//   weights:     int8, symmetric (zero point 0, range [-weight_max, weight_max]), per output
//                channel (axis 0) for Conv, per tensor for MatMul/Gemm;
//   bias:        int32, scale = input scale * weight scale, zero point 0.
//
// Weights are quantized only where the operator's input and output are both
// quantized: elsewhere ONNX Runtime would run the operator in float anyway,
// so float weights cost nothing and keep accuracy.
//
// Tensors that must stay float are never quantized: by default the detection
// head's tail, found by walking back from every graph output through
// decoding operators (Sigmoid, Exp, Concat, Reshape, Transpose, Softmax,
// Slice, ...) down to and including the outputs of the last Conv/MatMul/Gemm.
//
// Pure functions over protos; thread-compatible.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "quantize/tensor_stats.h"

namespace rvm::quantize {

struct QdqOptions {
  bool per_channel = true;  // Conv weights per output channel (else per tensor)
  // Largest weight code: 127 (full int8), or 63 ("reduce range", 7 bits). x86
  // CPUs without VNNI multiply uint8 x int8 pairs with an instruction that
  // saturates the 16-bit sum of two products; 7-bit weights keep it exact.
  int weight_max = 63;
  // Operators whose float activation inputs and outputs get QDQ pairs.
  std::set<std::string> op_types = DefaultQuantizedOps();
  bool keep_head_float = true;  // leave the head's decoding tail in float
  // Leave SiLU (x * sigmoid(x)) inputs and sigmoids in float; only its
  // output is quantized.
  bool float_silu = false;
  std::vector<std::string> keep_float;  // more tensors to leave in float

  static std::set<std::string> DefaultQuantizedOps();
};

struct TensorSelection {
  std::vector<std::string> quantize;  // activation tensors, in graph order
  std::vector<std::string> excluded;  // candidates left in float, in graph order
};

// The activation tensors the rewrite will quantize (what calibration must
// measure) and those deliberately left in float. An error when nothing is
// quantizable.
Result<TensorSelection> SelectTensors(const onnx::GraphProto& graph, const QdqOptions& options);

struct QdqSummary {
  int activations = 0;  // activation tensors given a QDQ pair
  int weights = 0;      // weight initializers turned into int8
  int biases = 0;       // bias initializers turned into int32
  int integer_ops = 0;  // operators with quantized input, weights and output
};

// Rewrites `model` (default opset >= 13) in place. `ranges` must hold a range
// for every tensor in `selection.quantize`.
Result<QdqSummary> RewriteToQdq(onnx::ModelProto& model, const TensorSelection& selection,
                                const std::map<std::string, Range>& ranges,
                                const QdqOptions& options);

// Input tensors of Conv operators whose input quantization noise, carried
// through the weights, would swamp the output's own quantization step:
// gain = input scale * max over output channels of ||w_c||_2 / output scale.
// Depthwise convolutions with folded batch norm can have gains far above 1
// (a per-tensor input scale set by a few wide channels, large weights on the
// narrow ones); quantizing their inputs wrecks the layer. Returns (tensor,
// gain) for gains above `max_gain`, largest first. Tensors without a range,
// and Convs whose output is not quantized, are skipped.
std::vector<std::pair<std::string, double>> NoiseAmplifyingInputs(
    const onnx::GraphProto& graph, const std::map<std::string, Range>& ranges, double max_gain);

// Asymmetric uint8 parameters for a range (widened to include 0).
struct Uint8Params {
  float scale = 1;
  uint8_t zero_point = 0;
};
Uint8Params ActivationParams(Range r);

}  // namespace rvm::quantize
