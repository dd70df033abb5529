// The shipped container model (models/rvm-containers.onnx): the file is the one its model card
// describes (hash pinned there), it names its classes, and both inference backends load it and
// find the same container in a photo.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "base/sha256.h"
#include "inference/detector.h"

namespace rvm {
namespace {

const std::string kModel = std::string(RVM_SOURCE_DIR) + "/models/rvm-containers.onnx";
const std::string kCard = std::string(RVM_SOURCE_DIR) + "/docs/model-card.md";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ShippedModelTest, TheModelCardPinsTheShippedFilesHash) {
  const std::string card = ReadText(kCard);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(card, m, std::regex("sha256 `([0-9a-f]{64})`")))
      << kCard << " names no sha256 `<hex>` of the shipped model";
  auto actual = Sha256File(kModel, "model");
  ASSERT_TRUE(actual.ok()) << actual.status().ToString();
  EXPECT_EQ(*actual, m[1].str()) << "models/rvm-containers.onnx changed: update docs/model-card.md";
}

TEST(ShippedModelTest, BothBackendsLoadItWithItsClassNamesAndAgree) {
  std::vector<Detections> found;
  for (const char* backend : {"ort", "opencv"}) {
    DetectorOptions options;
    options.engine.model_path = kModel;
    options.engine.backend = backend;
    options.engine.cache_dir = "";
    auto model = DetectorModel::Load(options);
    ASSERT_TRUE(model.ok()) << backend << ": " << model.status().ToString();
    EXPECT_EQ((*model)->labels(), (std::vector<std::string>{"can", "plastic_bottle"}));
    EXPECT_EQ((*model)->labels_source(), "model metadata");
    auto detector = (*model)->NewDetector();
    ASSERT_TRUE(detector.ok());
    DetectionResult result;
    ASSERT_TRUE(
        (*detector)->DetectFile(std::string(RVM_SHARED_DIR) + "/images/plain/dw_alucan_1015.jpg", result)
            .ok());
    found.push_back(result.detections);
  }
  ASSERT_FALSE(found[0].empty()) << "no container found in a photo of one can";
  EXPECT_EQ((*found[0].begin()).class_id, 0) << "the can is not seen as a can";
  ASSERT_EQ(found[0].size(), found[1].size());
  for (size_t i = 0; i < found[0].size(); ++i) {
    EXPECT_EQ(found[0][i].class_id, found[1][i].class_id);
    EXPECT_NEAR(found[0][i].score, found[1][i].score, 0.01);
    EXPECT_NEAR(found[0][i].box.x1, found[1][i].box.x1, 1.5);
    EXPECT_NEAR(found[0][i].box.y2, found[1][i].box.y2, 1.5);
  }
}

}  // namespace
}  // namespace rvm
