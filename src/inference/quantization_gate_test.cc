#include "inference/quantization_gate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "base/file_util.h"
#include "base/sha256.h"

namespace rvm {
namespace {

namespace fs = std::filesystem;

// The gate reads only the file's bytes and metadata, so a stand-in file that
// names a QDQ operator is enough here; the quantize module's end-to-end test
// covers real models.
class QuantizationGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rvm-gate-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    model_ = (dir_ / "int8.onnx").string();
    ASSERT_TRUE(WriteFileAtomic(model_, "graph ... DequantizeLinear ... QLinearConv").ok());
    sha_ = *Sha256File(model_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteReport(const std::string& sha, bool passed) {
    ASSERT_TRUE(WriteFileAtomic(model_ + ".report.json",
                                "{\"model_sha256\": \"" + sha +
                                    "\", \"passed\": " + (passed ? "true" : "false") + "}")
                    .ok());
  }

  fs::path dir_;
  std::string model_, sha_;
};

TEST_F(QuantizationGateTest, FloatModelNeedsNoReport) {
  const std::string fp32 = (dir_ / "fp32.onnx").string();
  ASSERT_TRUE(WriteFileAtomic(fp32, "graph ... Conv ... Sigmoid").ok());
  EXPECT_TRUE(CheckQuantizationGate(fp32, "", {}, false).ok());
  EXPECT_FALSE(*IsQuantizedModelFile(fp32, {}));
}

TEST_F(QuantizationGateTest, QuantizerMarkerInMetadataMakesAModelQuantized) {
  const std::string fp32 = (dir_ / "fp32.onnx").string();
  ASSERT_TRUE(WriteFileAtomic(fp32, "plain").ok());
  EXPECT_TRUE(*IsQuantizedModelFile(fp32, {{"rvm_quantized", "{}"}}));
}

TEST_F(QuantizationGateTest, QuantizedModelWithoutReportIsRefusedNamingBoth) {
  Status s = CheckQuantizationGate(model_, sha_, {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(model_), std::string::npos);
  EXPECT_NE(s.message().find("has no accuracy report"), std::string::npos);
  EXPECT_NE(s.message().find("--force-int8"), std::string::npos);
}

TEST_F(QuantizationGateTest, PassingReportForThisFileLetsItLoad) {
  WriteReport(sha_, true);
  EXPECT_TRUE(CheckQuantizationGate(model_, sha_, {}, false).ok());
  // The hash is computed when the caller does not have it.
  EXPECT_TRUE(CheckQuantizationGate(model_, "", {}, false).ok());
}

TEST_F(QuantizationGateTest, TheSummarySaysWhatThePassingReportSays) {
  ASSERT_TRUE(WriteFileAtomic(model_ + ".report.json",
                              "{\"model_sha256\": \"" + sha_ +
                                  "\", \"passed\": true, \"agreement\": {\"value\": 0.96}, "
                                  "\"speed\": {\"speedup\": 0.85}}")
                  .ok());
  std::string summary;
  ASSERT_TRUE(CheckQuantizationGate(model_, sha_, {}, false, &summary).ok());
  EXPECT_EQ(summary,
            "quantized; accuracy gate passed (agreement 96.0%); 0.85x the FP32 model's speed "
            "where it was quantized (slower: the FP32 model serves better there)");
  ASSERT_TRUE(
      WriteFileAtomic(model_ + ".report.json", "{\"model_sha256\": \"" + sha_ +
                                                   "\", \"passed\": true, \"agreement\": \"high\", "
                                                   "\"speed\": {\"speedup\": \"fast\"}}")
          .ok());
  ASSERT_TRUE(CheckQuantizationGate(model_, sha_, {}, false, &summary).ok());
  EXPECT_EQ(summary, "quantized; accuracy gate passed");  // odd figures are left out
  WriteReport(sha_, true);  // an older report: no agreement or speed figures
  ASSERT_TRUE(CheckQuantizationGate(model_, sha_, {}, false, &summary).ok());
  EXPECT_EQ(summary, "quantized; accuracy gate passed");
  ASSERT_TRUE(CheckQuantizationGate(model_, sha_, {}, true, &summary).ok());
  EXPECT_EQ(summary, "quantized; accuracy report not checked (forced)");
  const std::string fp32 = (dir_ / "fp32.onnx").string();
  ASSERT_TRUE(WriteFileAtomic(fp32, "graph ... Conv ... Sigmoid").ok());
  ASSERT_TRUE(CheckQuantizationGate(fp32, "", {}, false, &summary).ok());
  EXPECT_EQ(summary, "");
}

TEST_F(QuantizationGateTest, ReportForAnotherFileIsRefused) {
  WriteReport(std::string(64, 'a'), true);
  Status s = CheckQuantizationGate(model_, sha_, {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is for another file"), std::string::npos);
}

TEST_F(QuantizationGateTest, FailingReportIsRefused) {
  WriteReport(sha_, false);
  Status s = CheckQuantizationGate(model_, sha_, {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("failed its accuracy gate"), std::string::npos);
}

TEST_F(QuantizationGateTest, MalformedReportIsRefused) {
  ASSERT_TRUE(WriteFileAtomic(model_ + ".report.json", "{\"passed\": true").ok());
  Status s = CheckQuantizationGate(model_, sha_, {}, false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not a quantization report"), std::string::npos);
}

TEST_F(QuantizationGateTest, ForceLoadsAnUnverifiedModel) {
  EXPECT_TRUE(CheckQuantizationGate(model_, sha_, {}, true).ok());
}

}  // namespace
}  // namespace rvm
