#include "quantize/qdq_rewriter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "quantize/onnx_model.h"

namespace rvm::quantize {
namespace {

const std::set<std::string> kComputeOps = {"Conv", "MatMul", "Gemm"};
// Operators a detection head decodes its raw outputs with.
const std::set<std::string> kDecodeOps = {
    "Sigmoid",  "Exp",     "Softmax",   "Concat", "Reshape", "Transpose",
    "Flatten",  "Squeeze", "Unsqueeze", "Slice",  "Split",   "Gather",
    "Identity", "Mul",     "Add",       "Sub",    "Div"};

// Input positions that carry activations (the rest are shapes, scales,
// indices).
std::vector<int> ActivationInputs(const onnx::NodeProto& n) {
  const std::string& op = n.op_type();
  if (op == "Concat" || op == "Add" || op == "Mul" || op == "MatMul") {
    std::vector<int> all(n.input_size());
    for (int i = 0; i < n.input_size(); ++i) all[i] = i;
    return all;
  }
  return {0};
}

std::string ScalarInitName(const std::string& tensor, const char* suffix) {
  return tensor + suffix;
}

void AddScalarFloat(onnx::GraphProto& g, const std::string& name, float v) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
}

void AddScalarUint8(onnx::GraphProto& g, const std::string& name, uint8_t v) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::UINT8);
  t->add_int32_data(v);
}

onnx::NodeProto MakeNode(const std::string& op, const std::vector<std::string>& in,
                         const std::string& out, const std::string& name, int axis = -1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const auto& i : in) n.add_input(i);
  n.add_output(out);
  if (axis >= 0) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

}  // namespace

std::set<std::string> QdqOptions::DefaultQuantizedOps() {
  return {"Conv",    "MatMul",      "Gemm",
          "Add",     "Mul",         "Concat",
          "MaxPool", "AveragePool", "GlobalAveragePool",
          "Sigmoid", "LeakyRelu",   "Resize"};
}

Uint8Params ActivationParams(Range r) {
  const float lo = std::min(0.0f, r.lo), hi = std::max(0.0f, r.hi);
  Uint8Params p;
  if (!(hi - lo > 1e-12f) || !std::isfinite(hi - lo)) return p;  // all zeros: scale 1, zp 0
  p.scale = (hi - lo) / 255.0f;
  const float zp = std::round(-lo / p.scale);
  p.zero_point = static_cast<uint8_t>(std::clamp(zp, 0.0f, 255.0f));
  return p;
}

std::vector<std::pair<std::string, double>> NoiseAmplifyingInputs(
    const onnx::GraphProto& graph, const std::map<std::string, Range>& ranges, double max_gain) {
  const auto inits = InitializersByName(graph);
  std::map<std::string, double> worst;
  for (const auto& n : graph.node()) {
    if (n.op_type() != "Conv" || n.input_size() < 2 || n.output_size() < 1) continue;
    auto in = ranges.find(n.input(0));
    auto out = ranges.find(n.output(0));
    auto w = inits.find(n.input(1));
    if (in == ranges.end() || out == ranges.end() || w == inits.end()) continue;
    auto wf = TensorToFloats(*w->second);
    if (!wf.ok() || w->second->dims_size() == 0 || w->second->dims(0) <= 0) continue;
    const size_t channels = static_cast<size_t>(w->second->dims(0));
    const size_t per = wf->size() / channels;
    double max_norm = 0;
    for (size_t c = 0; c < channels; ++c) {
      double sq = 0;
      for (size_t k = 0; k < per; ++k)
        sq += static_cast<double>((*wf)[c * per + k]) * (*wf)[c * per + k];
      max_norm = std::max(max_norm, std::sqrt(sq));
    }
    const double gain =
        ActivationParams(in->second).scale * max_norm / ActivationParams(out->second).scale;
    double& g = worst[n.input(0)];
    g = std::max(g, gain);
  }
  std::vector<std::pair<std::string, double>> result;
  for (const auto& [t, g] : worst) {
    if (g > max_gain) result.emplace_back(t, g);
  }
  std::sort(result.begin(), result.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return result;
}

Result<TensorSelection> SelectTensors(const onnx::GraphProto& graph, const QdqOptions& options) {
  const auto inits = InitializersByName(graph);
  std::unordered_map<std::string, const onnx::NodeProto*> producer;
  std::unordered_set<std::string> constants;  // outputs of Constant nodes
  for (const auto& n : graph.node()) {
    for (const auto& o : n.output()) producer[o] = &n;
    if (n.op_type() == "Constant") {
      for (const auto& o : n.output()) constants.insert(o);
    }
  }
  std::unordered_set<std::string> graph_outputs;
  for (const auto& o : graph.output()) graph_outputs.insert(o.name());

  // Tensors that stay float: the head's decoding tail and the caller's list.
  std::unordered_set<std::string> keep(options.keep_float.begin(), options.keep_float.end());
  keep.insert(graph_outputs.begin(), graph_outputs.end());
  if (options.keep_head_float) {
    std::vector<std::string> stack(graph_outputs.begin(), graph_outputs.end());
    std::unordered_set<std::string> seen;
    while (!stack.empty()) {
      const std::string t = stack.back();
      stack.pop_back();
      if (!seen.insert(t).second || inits.count(t)) continue;
      auto it = producer.find(t);
      if (it == producer.end()) continue;
      const onnx::NodeProto& n = *it->second;
      if (kComputeOps.count(n.op_type())) {
        keep.insert(t);
        continue;
      }
      if (!kDecodeOps.count(n.op_type())) continue;
      keep.insert(t);
      for (const auto& in : n.input()) stack.push_back(in);
    }
  }

  if (options.float_silu) {
    std::unordered_map<std::string, std::vector<const onnx::NodeProto*>> consumers;
    for (const auto& n : graph.node()) {
      for (const auto& i : n.input()) consumers[i].push_back(&n);
    }
    for (const auto& n : graph.node()) {
      if (n.op_type() != "Sigmoid" || n.output_size() < 1) continue;
      const std::string& x = n.input(0);
      for (const onnx::NodeProto* c : consumers[n.output(0)]) {
        if (c->op_type() == "Mul" &&
            std::find(c->input().begin(), c->input().end(), x) != c->input().end()) {
          keep.insert(x);
          keep.insert(n.output(0));
        }
      }
    }
  }

  // Candidates in graph order: graph inputs first, then node outputs.
  std::unordered_set<std::string> candidates;
  for (const auto& n : graph.node()) {
    if (!options.op_types.count(n.op_type())) continue;
    for (int i : ActivationInputs(n)) {
      if (i >= n.input_size()) continue;
      const std::string& t = n.input(i);
      if (t.empty() || inits.count(t) || constants.count(t)) continue;
      candidates.insert(t);
    }
    if (n.output_size() > 0) candidates.insert(n.output(0));
  }
  TensorSelection sel;
  auto classify = [&](const std::string& t) {
    if (!candidates.count(t)) return;
    (keep.count(t) ? sel.excluded : sel.quantize).push_back(t);
    candidates.erase(t);
  };
  for (const auto& in : graph.input()) classify(in.name());
  for (const auto& n : graph.node()) {
    for (const auto& o : n.output()) classify(o);
  }
  if (sel.quantize.empty()) {
    return InvalidArgument(
        "the model has no quantizable operators (none of Conv, MatMul, Gemm, "
        "... with float activations outside the detection head)");
  }
  return sel;
}

Result<QdqSummary> RewriteToQdq(onnx::ModelProto& model, const TensorSelection& selection,
                                const std::map<std::string, Range>& ranges,
                                const QdqOptions& options) {
  if (DefaultOpset(model) < 13) {
    return InvalidArgument("the QDQ rewrite needs opset 13 or newer, the model has opset " +
                           std::to_string(DefaultOpset(model)));
  }
  onnx::GraphProto& g = *model.mutable_graph();
  QdqSummary summary;

  // Activation parameters.
  std::map<std::string, Uint8Params> act;
  for (const std::string& t : selection.quantize) {
    auto it = ranges.find(t);
    if (it == ranges.end()) return Internal("no calibrated range for tensor '" + t + "'");
    act[t] = ActivationParams(it->second);
  }
  auto dq_name = [](const std::string& t) { return t + "_DequantizeLinear_Output"; };

  // Weights and biases of operators that become integer operators.
  std::map<std::string, const onnx::TensorProto*> inits = InitializersByName(g);
  std::vector<onnx::TensorProto> new_inits;
  std::map<std::string, std::string> weight_dq;  // weight name -> DQ output (shared)
  std::vector<std::pair<std::string, onnx::NodeProto>> weight_nodes;  // consumer-less DQ nodes
  std::map<const onnx::NodeProto*, std::vector<std::pair<int, std::string>>> rewired;

  for (auto& n : *g.mutable_node()) {
    if (!kComputeOps.count(n.op_type()) || n.input_size() < 2 || n.output_size() < 1) continue;
    const std::string& x = n.input(0);
    const std::string& w = n.input(1);
    if (!act.count(x) || !act.count(n.output(0)) || !inits.count(w)) continue;
    if (n.op_type() == "Gemm") {
      bool trans_a = false;
      for (const auto& a : n.attribute()) {
        if (a.name() == "transA" && a.i() != 0) trans_a = true;
      }
      if (trans_a) continue;
    }
    const onnx::TensorProto& wt = *inits.at(w);
    auto wf = TensorToFloats(wt);
    if (!wf.ok()) continue;
    const bool conv = n.op_type() == "Conv";
    const int channels =
        conv && options.per_channel && wt.dims_size() > 0 ? static_cast<int>(wt.dims(0)) : 1;
    const size_t per = wf->size() / channels;
    const float qmax = static_cast<float>(std::clamp(options.weight_max, 1, 127));
    std::vector<float> w_scale(channels);
    for (int c = 0; c < channels; ++c) {
      float amax = 0;
      for (size_t k = 0; k < per; ++k) amax = std::max(amax, std::fabs((*wf)[c * per + k]));
      w_scale[c] = amax > 0 ? amax / static_cast<float>(options.weight_max) : 1.0f;
    }
    const std::string wkey = w + (channels > 1 ? "" : "_pt");
    if (!weight_dq.count(wkey)) {
      onnx::TensorProto q;
      q.set_name(w + "_quantized");
      q.set_data_type(onnx::TensorProto::INT8);
      for (int64_t d : wt.dims()) q.add_dims(d);
      std::string raw(wf->size(), '\0');
      for (int c = 0; c < channels; ++c) {
        for (size_t k = 0; k < per; ++k) {
          const float v = std::round((*wf)[c * per + k] / w_scale[c]);
          raw[c * per + k] = static_cast<char>(static_cast<int8_t>(std::clamp(v, -qmax, qmax)));
        }
      }
      q.set_raw_data(raw);
      onnx::TensorProto s, zp;
      s.set_name(w + "_scale");
      s.set_data_type(onnx::TensorProto::FLOAT);
      zp.set_name(w + "_zero_point");
      zp.set_data_type(onnx::TensorProto::INT8);
      if (channels > 1) {
        s.add_dims(channels);
        zp.add_dims(channels);
      }
      for (int c = 0; c < channels; ++c) {
        s.add_float_data(w_scale[c]);
        zp.add_int32_data(0);
      }
      const std::string out = w + "_DequantizeLinear_Output";
      weight_nodes.emplace_back(w, MakeNode("DequantizeLinear", {q.name(), s.name(), zp.name()},
                                            out, w + "_DequantizeLinear", channels > 1 ? 0 : -1));
      new_inits.push_back(std::move(q));
      new_inits.push_back(std::move(s));
      new_inits.push_back(std::move(zp));
      weight_dq[wkey] = out;
      ++summary.weights;
    }
    rewired[&n].push_back({1, weight_dq[wkey]});
    ++summary.integer_ops;

    // Bias (Conv input 2, Gemm input 2): int32 at input scale * weight scale.
    if (n.input_size() >= 3 && inits.count(n.input(2)) && n.op_type() != "MatMul") {
      const onnx::TensorProto& bt = *inits.at(n.input(2));
      auto bf = TensorToFloats(bt);
      if (bf.ok() && (channels == 1 || static_cast<int>(bf->size()) == channels)) {
        const std::string bname = n.input(2) + "_" + n.output(0) + "_quantized";
        onnx::TensorProto q, s, zp;
        q.set_name(bname);
        q.set_data_type(onnx::TensorProto::INT32);
        for (int64_t d : bt.dims()) q.add_dims(d);
        s.set_name(bname + "_scale");
        s.set_data_type(onnx::TensorProto::FLOAT);
        zp.set_name(bname + "_zero_point");
        zp.set_data_type(onnx::TensorProto::INT32);
        const bool per_ch = channels > 1;
        if (per_ch) {
          s.add_dims(channels);
          zp.add_dims(channels);
        }
        const float xs = act[x].scale;
        for (int c = 0; c < (per_ch ? channels : 1); ++c) {
          s.add_float_data(xs * w_scale[c]);
          zp.add_int32_data(0);
        }
        for (size_t k = 0; k < bf->size(); ++k) {
          const double bs = static_cast<double>(xs) * w_scale[per_ch ? k : 0];
          const double v = std::round((*bf)[k] / bs);
          q.add_int32_data(static_cast<int32_t>(std::clamp(v, -2147483647.0, 2147483647.0)));
        }
        const std::string out = bname + "_DequantizeLinear_Output";
        weight_nodes.emplace_back(n.input(2),
                                  MakeNode("DequantizeLinear", {q.name(), s.name(), zp.name()}, out,
                                           bname + "_DequantizeLinear", per_ch ? 0 : -1));
        new_inits.push_back(std::move(q));
        new_inits.push_back(std::move(s));
        new_inits.push_back(std::move(zp));
        rewired[&n].push_back({2, out});
        ++summary.biases;
      }
    }
  }

  // Rebuild the node list in topological order: weight DQ nodes first, QDQ
  // pairs right after the producer of each quantized activation, every
  // consumer reading the dequantized value.
  std::vector<onnx::NodeProto> old(g.node().begin(), g.node().end());
  for (size_t i = 0; i < old.size(); ++i) {
    auto it = rewired.find(&g.node(static_cast<int>(i)));
    if (it == rewired.end()) continue;
    for (const auto& [pos, name] : it->second) old[i].set_input(pos, name);
  }
  auto add_qdq = [&](std::vector<onnx::NodeProto>& out, const std::string& t) {
    const Uint8Params& p = act.at(t);
    const std::string s = ScalarInitName(t, "_scale"), zp = ScalarInitName(t, "_zero_point");
    AddScalarFloat(g, s, p.scale);
    AddScalarUint8(g, zp, p.zero_point);
    out.push_back(MakeNode("QuantizeLinear", {t, s, zp}, t + "_QuantizeLinear_Output",
                           t + "_QuantizeLinear"));
    out.push_back(MakeNode("DequantizeLinear", {t + "_QuantizeLinear_Output", s, zp}, dq_name(t),
                           t + "_DequantizeLinear"));
    ++summary.activations;
  };
  std::vector<onnx::NodeProto> nodes;
  for (auto& [w, node] : weight_nodes) nodes.push_back(std::move(node));
  for (const auto& in : g.input()) {
    if (act.count(in.name())) add_qdq(nodes, in.name());
  }
  for (auto& n : old) {
    for (auto& in : *n.mutable_input()) {
      if (act.count(in)) in = dq_name(in);
    }
    nodes.push_back(n);
    for (const auto& o : n.output()) {
      if (act.count(o)) add_qdq(nodes, o);
    }
  }
  g.clear_node();
  for (auto& n : nodes) *g.add_node() = std::move(n);
  for (auto& t : new_inits) *g.add_initializer() = std::move(t);

  // Float weights no node reads any more are dropped.
  std::unordered_set<std::string> used;
  for (const auto& n : g.node()) {
    for (const auto& i : n.input()) used.insert(i);
  }
  for (const auto& o : g.output()) used.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept;
  for (auto& t : *g.mutable_initializer()) {
    if (used.count(t.name())) *kept.Add() = std::move(t);
  }
  g.mutable_initializer()->Swap(&kept);
  // Stale value_info for rewired names is harmless; drop it all and let the
  // runtime infer shapes again.
  g.clear_value_info();
  return summary;
}

}  // namespace rvm::quantize
