#include "quantize/qdq_rewriter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "quantize/onnx_model.h"

namespace rvm::quantize {
namespace {

const std::string kFastestDet = std::string(RVM_SHARED_DIR) + "/models/fastestdet.onnx";

onnx::ModelProto LoadFastestDet() {
  auto m = LoadOnnxModel(kFastestDet);
  EXPECT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(UpgradeOpset(*m, 13).ok());
  return std::move(*m);
}

std::map<std::string, Range> FakeRanges(const TensorSelection& sel) {
  std::map<std::string, Range> r;
  for (const auto& t : sel.quantize) r[t] = {-1.5f, 6.0f};
  return r;
}

const onnx::TensorProto* FindInit(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

TEST(SelectTensorsTest, LeavesTheDetectionHeadTailInFloat) {
  onnx::ModelProto m = LoadFastestDet();
  auto sel = SelectTensors(m.graph(), QdqOptions{});
  ASSERT_TRUE(sel.ok()) << sel.status().message();
  EXPECT_GT(sel->quantize.size(), 50u);
  const std::set<std::string> excluded(sel->excluded.begin(), sel->excluded.end());
  const std::set<std::string> quantized(sel->quantize.begin(), sel->quantize.end());
  // The graph output and the three head convolutions feeding it stay float.
  EXPECT_TRUE(excluded.count("758"));
  EXPECT_FALSE(quantized.count("758"));
  for (const auto& n : m.graph().node()) {
    if (n.op_type() == "Sigmoid" || n.op_type() == "Softmax") {
      EXPECT_FALSE(quantized.count(n.input(0))) << n.input(0) << " feeds " << n.op_type();
    }
  }
  // The image input is quantized (it feeds the first convolution).
  EXPECT_TRUE(quantized.count("input.1"));
}

TEST(SelectTensorsTest, ModelWithoutQuantizableOperatorsIsAnError) {
  onnx::ModelProto m;
  auto* g = m.mutable_graph();
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  g->add_input()->set_name("x");
  g->add_output()->set_name("y");
  auto sel = SelectTensors(*g, QdqOptions{});
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.status().message().find("no quantizable operators"), std::string::npos);
}

TEST(ActivationParamsTest, RangeIsWidenedToIncludeZero) {
  Uint8Params p = ActivationParams({0.5f, 2.55f});
  EXPECT_FLOAT_EQ(p.scale, 2.55f / 255);
  EXPECT_EQ(p.zero_point, 0);
  p = ActivationParams({-1.0f, 1.0f});
  EXPECT_NEAR(p.zero_point, 128, 1);
  p = ActivationParams({0, 0});
  EXPECT_GT(p.scale, 0);
}

TEST(RewriteToQdqTest, WritesPerChannelInt8WeightsAndValidQdqPairs) {
  onnx::ModelProto m = LoadFastestDet();
  auto sel = SelectTensors(m.graph(), QdqOptions{});
  ASSERT_TRUE(sel.ok());
  auto summary = RewriteToQdq(m, *sel, FakeRanges(*sel), QdqOptions{});
  ASSERT_TRUE(summary.ok()) << summary.status().message();
  EXPECT_EQ(summary->activations, static_cast<int>(sel->quantize.size()));
  EXPECT_GT(summary->weights, 40);
  EXPECT_GT(summary->integer_ops, 40);
  ASSERT_TRUE(CheckOnnxModel(m, "rewritten model").ok());
  EXPECT_TRUE(IsQuantizedModel(m));

  const onnx::GraphProto& g = m.graph();
  int per_channel = 0;
  for (const auto& n : g.node()) {
    if (n.op_type() != "DequantizeLinear" && n.op_type() != "QuantizeLinear") continue;
    const onnx::TensorProto* scale = FindInit(g, n.input(1));
    const onnx::TensorProto* zp = FindInit(g, n.input(2));
    ASSERT_NE(scale, nullptr) << n.name();
    ASSERT_NE(zp, nullptr) << n.name();
    for (float s : scale->float_data()) EXPECT_GT(s, 0) << n.name();
    const onnx::TensorProto* data = FindInit(g, n.input(0));
    if (data && data->data_type() == onnx::TensorProto::INT8) {
      // A weight: symmetric int8, zero point 0, one scale per output channel.
      EXPECT_EQ(zp->data_type(), onnx::TensorProto::INT8);
      for (int32_t z : zp->int32_data()) EXPECT_EQ(z, 0);
      ASSERT_EQ(scale->dims_size(), 1) << n.name();
      EXPECT_EQ(scale->dims(0), data->dims(0));
      const std::string& raw = data->raw_data();
      for (char c : raw) EXPECT_GE(static_cast<int8_t>(c), -127);
      ++per_channel;
    } else if (data && data->data_type() == onnx::TensorProto::INT32) {
      EXPECT_EQ(zp->data_type(), onnx::TensorProto::INT32);
    } else {
      // An activation: uint8 with the zero point inside [0, 255].
      EXPECT_EQ(zp->data_type(), onnx::TensorProto::UINT8);
      ASSERT_EQ(zp->int32_data_size(), 1);
      EXPECT_GE(zp->int32_data(0), 0);
      EXPECT_LE(zp->int32_data(0), 255);
    }
  }
  EXPECT_EQ(per_channel, summary->weights);

  // Excluded tensors are produced and consumed exactly as before.
  for (const std::string& t : sel->excluded) {
    for (const auto& n : g.node()) {
      if (n.op_type() == "QuantizeLinear") {
        EXPECT_NE(n.input(0), t);
      }
    }
  }
  int head_float_convs = 0;
  for (const auto& n : g.node()) {
    if (n.op_type() == "Conv" &&
        std::find(sel->excluded.begin(), sel->excluded.end(), n.output(0)) != sel->excluded.end()) {
      // Head convolutions keep their float weights.
      const onnx::TensorProto* w = FindInit(g, n.input(1));
      ASSERT_NE(w, nullptr) << n.output(0);
      EXPECT_EQ(w->data_type(), onnx::TensorProto::FLOAT);
      ++head_float_convs;
    }
  }
  EXPECT_EQ(head_float_convs, 3);
}

TEST(RewriteToQdqTest, PerTensorWeightsHaveOneScale) {
  onnx::ModelProto m = LoadFastestDet();
  QdqOptions o;
  o.per_channel = false;
  auto sel = SelectTensors(m.graph(), o);
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(RewriteToQdq(m, *sel, FakeRanges(*sel), o).ok());
  for (const auto& t : m.graph().initializer()) {
    if (t.data_type() == onnx::TensorProto::INT8 && t.dims_size() > 1) {
      const onnx::TensorProto* s =
          FindInit(m.graph(), t.name().substr(0, t.name().size() - 10) + "_scale");
      ASSERT_NE(s, nullptr) << t.name();
      EXPECT_EQ(s->float_data_size(), 1);
    }
  }
}

TEST(RewriteToQdqTest, RefusesAnOldOpset) {
  auto m = LoadOnnxModel(kFastestDet);
  ASSERT_TRUE(m.ok());
  auto sel = SelectTensors(m->graph(), QdqOptions{});
  ASSERT_TRUE(sel.ok());
  auto r = RewriteToQdq(*m, *sel, FakeRanges(*sel), QdqOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("opset 13"), std::string::npos);
}

TEST(RewriteToQdqTest, MissingRangeIsAnError) {
  onnx::ModelProto m = LoadFastestDet();
  auto sel = SelectTensors(m.graph(), QdqOptions{});
  ASSERT_TRUE(sel.ok());
  auto ranges = FakeRanges(*sel);
  ranges.erase(sel->quantize.front());
  EXPECT_FALSE(RewriteToQdq(m, *sel, ranges, QdqOptions{}).ok());
}

}  // namespace
}  // namespace rvm::quantize

namespace rvm::quantize {
namespace {

TEST(NoiseAmplifyingInputsTest, ReportsConvInputsAboveTheGainLargestFirst) {
  auto m = LoadOnnxModel(kFastestDet);
  ASSERT_TRUE(m.ok());
  auto sel = SelectTensors(m->graph(), QdqOptions{});
  ASSERT_TRUE(sel.ok());
  const auto ranges = FakeRanges(*sel);
  // Equal input and output ranges: the gain is the largest channel's weight norm.
  auto all = NoiseAmplifyingInputs(m->graph(), ranges, 0.0);
  ASSERT_GT(all.size(), 10u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_GE(all[i - 1].second, all[i].second);
  EXPECT_TRUE(NoiseAmplifyingInputs(m->graph(), ranges, all.front().second + 1).empty());
  // Tensors without a range are skipped.
  EXPECT_TRUE(NoiseAmplifyingInputs(m->graph(), {}, 0.0).empty());
}

}  // namespace
}  // namespace rvm::quantize

namespace rvm::quantize {
namespace {

TEST(SelectTensorsTest, FloatSiluKeepsSiluInputsAndSigmoidsButQuantizesSiluOutputs) {
  auto m = LoadOnnxModel(std::string(RVM_SHARED_DIR) + "/models/yolox_nano.onnx");
  ASSERT_TRUE(m.ok());
  QdqOptions o;
  o.float_silu = true;
  auto sel = SelectTensors(m->graph(), o);
  ASSERT_TRUE(sel.ok());
  const std::set<std::string> q(sel->quantize.begin(), sel->quantize.end());
  int silus = 0;
  for (const auto& n : m->graph().node()) {
    if (n.op_type() != "Mul" || n.input_size() != 2) continue;
    // SiLU: Mul(x, Sigmoid(x)).
    for (const auto& s : m->graph().node()) {
      if (s.op_type() == "Sigmoid" && s.output(0) == n.input(1) && s.input(0) == n.input(0)) {
        EXPECT_FALSE(q.count(n.input(0))) << n.input(0);
        EXPECT_FALSE(q.count(n.input(1))) << n.input(1);
        ++silus;
      }
    }
  }
  EXPECT_GT(silus, 50);
  EXPECT_TRUE(q.count("input.7"));  // the first SiLU's output
}

}  // namespace
}  // namespace rvm::quantize
