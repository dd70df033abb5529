// End to end on the small FastestDet model and a handful of the shared dev
// images: quantize, check the report and the detector's gate, and the bad
// inputs. Labelled slow (a few seconds of inference).
#include "quantize/quantizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "base/file_util.h"
#include "base/sha256.h"
#include "inference/detector.h"
#include "quantize/onnx_model.h"

namespace rvm::quantize {
namespace {

namespace fs = std::filesystem;
const fs::path kShared = RVM_SHARED_DIR;
const std::string kFastestDet = (kShared / "models/fastestdet.onnx").string();

class QuantizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rvm-quantize-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Calibration: 6 dev images; evaluation: 6 others with their labels.
    auto all = ListImages((kShared / "images/dev/images").string(), "dev");
    ASSERT_TRUE(all.ok());
    ASSERT_GE(all->size(), 12u);
    fs::create_directories(dir_ / "calib");
    fs::create_directories(dir_ / "eval/images");
    fs::create_directories(dir_ / "eval/labels");
    fs::create_symlink(kShared / "images/dev/classes.txt", dir_ / "eval/classes.txt");
    for (size_t i = 0; i < 12; i += 2) {
      const fs::path calib = (*all)[i], eval = (*all)[i + 1];
      fs::create_symlink(calib, dir_ / "calib" / calib.filename());
      fs::create_symlink(eval, dir_ / "eval/images" / eval.filename());
      const fs::path label = kShared / "images/dev/labels" / (eval.stem().string() + ".txt");
      if (fs::exists(label)) fs::create_symlink(label, dir_ / "eval/labels" / label.filename());
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  QuantizeOptions Options() const {
    QuantizeOptions o;
    o.model_path = kFastestDet;
    o.calibration_dir = (dir_ / "calib").string();
    o.eval_dir = (dir_ / "eval/images").string();
    o.out_path = (dir_ / "int8.onnx").string();
    o.min_calibration_images = 4;
    return o;
  }

  static Result<std::shared_ptr<DetectorModel>> LoadDetector(const std::string& path,
                                                             bool force = false) {
    DetectorOptions d;
    d.engine.model_path = path;
    d.engine.cache_dir = "";
    d.allow_unverified_int8 = force;
    return DetectorModel::Load(d);
  }

  fs::path dir_;
};

// The gate mechanics with thresholds this small model on six images meets;
// the default thresholds (95% agreement, 1 point mAP) are measured on the
// full dev set by hand (docs/quantization.md).
TEST_F(QuantizerTest, QuantizedModelPassesTheGateAndLoadsWithItsReport) {
  QuantizeOptions o = Options();
  o.min_agreement = 0.5;
  o.max_map_drop_points = 25;
  auto r = QuantizeModel(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->passed) << r->ToJson().dump(2);
  EXPECT_GE(r->agreement, 0.5);
  EXPECT_GT(r->fp32_detections, 0);
  EXPECT_EQ(r->calibration_images_read, 6);
  EXPECT_EQ(r->evaluation_images.size(), 6u);
  EXPECT_FALSE(r->excluded_tensors.empty());
  ASSERT_TRUE(r->has_map);  // the dev labels name "bottle", a COCO class
  EXPECT_EQ(r->ap[0].name, "bottle");
  EXPECT_LE(r->map_drop_points(), 25.0);

  // The written model is QDQ, marked, and its report names its hash.
  auto model = LoadOnnxModel(r->model_path);
  ASSERT_TRUE(model.ok());
  EXPECT_TRUE(IsQuantizedModel(*model));
  auto sha = Sha256File(r->model_path);
  ASSERT_TRUE(sha.ok());
  auto report = ReadFileBytes(ReportPathFor(r->model_path));
  ASSERT_TRUE(report.ok());
  const std::string text(report->begin(), report->end());
  EXPECT_NE(text.find(*sha), std::string::npos);
  EXPECT_NE(text.find("\"passed\": true"), std::string::npos);

  // The service loads it with the report; a model file changed afterwards is refused.
  ASSERT_TRUE(LoadDetector(r->model_path).ok());
  SetMetadata(*model, "note", "edited after quantization");
  ASSERT_TRUE(SaveOnnxModel(*model, r->model_path).ok());
  auto refused = LoadDetector(r->model_path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("is for another file"), std::string::npos);
  EXPECT_TRUE(LoadDetector(r->model_path, /*force=*/true).ok());

  // Quantizing the quantized model again is refused.
  QuantizeOptions again = Options();
  again.model_path = r->model_path;
  again.out_path = (dir_ / "twice.onnx").string();
  auto twice = QuantizeModel(again);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("already quantized"), std::string::npos);
}

TEST_F(QuantizerTest, CalibrationOnBlankImagesFailsTheGateAndTheServiceRefusesIt) {
  fs::create_directories(dir_ / "blank");
  for (int i = 0; i < 4; ++i) {
    cv::Mat gray(240, 320, CV_8UC3, cv::Scalar(0, 0, 0));
    ASSERT_TRUE(cv::imwrite((dir_ / "blank" / ("b" + std::to_string(i) + ".png")).string(), gray));
  }
  QuantizeOptions o = Options();
  o.calibration_dir = (dir_ / "blank").string();
  o.min_agreement = 0.5;
  o.max_map_drop_points = 25;
  auto r = QuantizeModel(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(r->passed);
  ASSERT_FALSE(r->failures.empty());
  EXPECT_LT(r->agreement, 0.5);
  auto refused = LoadDetector(r->model_path);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("failed its accuracy gate"), std::string::npos);
}

TEST_F(QuantizerTest, EmptyCalibrationDirectoryIsAnError) {
  fs::create_directories(dir_ / "empty");
  QuantizeOptions o = Options();
  o.calibration_dir = (dir_ / "empty").string();
  auto r = QuantizeModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("holds no images"), std::string::npos);
}

TEST_F(QuantizerTest, TooFewReadableImagesSaysHowManyWereRead) {
  fs::create_directories(dir_ / "broken");
  for (const char* name : {"a.jpg", "b.jpg", "c.jpg"}) {
    ASSERT_TRUE(WriteFileAtomic((dir_ / "broken" / name).string(), "not a jpeg").ok());
  }
  fs::copy_file(
      fs::read_symlink(dir_ / "calib" / fs::directory_iterator(dir_ / "calib")->path().filename()),
      dir_ / "broken/d.jpg");
  QuantizeOptions o = Options();
  o.calibration_dir = (dir_ / "broken").string();
  auto r = QuantizeModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("read 1 of 4"), std::string::npos) << r.status().message();
}

TEST_F(QuantizerTest, UnwritableOutputPathIsAnErrorBeforeCalibration) {
  QuantizeOptions o = Options();
  o.out_path = (dir_ / "no/such/dir/int8.onnx").string();
  auto r = QuantizeModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not exist"), std::string::npos);
  o.out_path = dir_.string();
  r = QuantizeModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is a directory"), std::string::npos);
}

TEST_F(QuantizerTest, ModelWithoutQuantizableOperatorsIsAnError) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("relu");
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  auto declare = [](onnx::ValueInfoProto* vi, const char* name) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int d : {1, 3, 8, 8}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  declare(g->add_input(), "x");
  declare(g->add_output(), "y");
  const std::string path = (dir_ / "relu.onnx").string();
  ASSERT_TRUE(SaveOnnxModel(m, path).ok());
  QuantizeOptions o = Options();
  o.model_path = path;
  auto r = QuantizeModel(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no quantizable operators"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace rvm::quantize
