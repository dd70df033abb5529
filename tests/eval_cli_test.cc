// End-to-end tests of `rvm-edge eval`: the real binary, the COCO YOLOX-nano
// and its label map on the 62 labelled photos of ../shared/images/dev, and
// the folder and label errors an operator can make.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "e2e_util.h"

namespace {

namespace fs = std::filesystem;

using RunResult = rvm::e2e::CliResult;

RunResult RunCli(const std::string& args, const fs::path& tmp) {
  return rvm::e2e::RunRvmEdge(args, tmp / "stderr.txt");
}

const std::string kShared = RVM_SHARED_DIR;
const std::string kCoco = kShared + "/models/yolox_nano.onnx";

// One run over the whole dev set, shared by the tests that read its report.
class EvalDevSetTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new fs::path(fs::temp_directory_path() / ("rvm_eval_dev_" + std::to_string(::getpid())));
    fs::create_directories(*tmp_);
    RunResult r = RunCli("eval --json --model " + kCoco + " --cache-dir " +
                             (*tmp_ / "cache").string() + " " + kShared + "/images/dev",
                         *tmp_);
    exit_code_ = r.exit_code;
    stderr_ = new std::string(r.err);
    report_ = new nlohmann::json(nlohmann::json::parse(r.out, nullptr, false));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*tmp_);
    delete tmp_;
    delete stderr_;
    delete report_;
  }
  static fs::path* tmp_;
  static int exit_code_;
  static std::string* stderr_;
  static nlohmann::json* report_;
};
fs::path* EvalDevSetTest::tmp_ = nullptr;
int EvalDevSetTest::exit_code_ = -1;
std::string* EvalDevSetTest::stderr_ = nullptr;
nlohmann::json* EvalDevSetTest::report_ = nullptr;

TEST_F(EvalDevSetTest, EveryPhotoIsEvaluatedAndTheCocoBottleClassScores) {
  ASSERT_EQ(exit_code_, 0) << *stderr_;
  const nlohmann::json& r = *report_;
  ASSERT_FALSE(r.is_discarded());
  EXPECT_EQ(r["images"], 62);
  EXPECT_EQ(r["evaluated"], 62);
  EXPECT_TRUE(r["failed"].empty());
  ASSERT_EQ(r["classes"].size(), 2u);
  EXPECT_EQ(r["classes"][0]["name"], "can");
  EXPECT_EQ(r["classes"][1]["name"], "bottle");
  // COCO's bottle is the data set's bottle (both PET in the label map).
  EXPECT_GT(r["classes"][1]["ap50"].get<double>(), 0.1);
  int boxes = 0;
  for (const auto& c : r["classes"]) {
    const double ap50 = c["ap50"], ap50_95 = c["ap50_95"];
    EXPECT_GE(ap50, 0.0);
    EXPECT_LE(ap50, 1.0);
    EXPECT_LE(ap50_95, ap50);  // stricter overlap can only lose matches
    boxes += c["boxes"].get<int>();
  }
  EXPECT_EQ(r["boxes"], boxes);
  EXPECT_NEAR(r["map50"].get<double>(),
              (r["classes"][0]["ap50"].get<double>() + r["classes"][1]["ap50"].get<double>()) / 2,
              1e-3);
}

TEST_F(EvalDevSetTest, EveryLabelledBoxIsCountedOnceInTheConfusionMatrix) {
  const nlohmann::json& c = (*report_)["confusion"];
  EXPECT_EQ(c["rows"], (nlohmann::json{"can", "bottle", "background"}));
  EXPECT_EQ(c["columns"], (nlohmann::json{"can", "bottle", "other", "missed"}));
  for (int k = 0; k < 2; ++k) {
    int row = 0;
    for (int v : c["cells"][k]) row += v;
    EXPECT_EQ(row, (*report_)["classes"][k]["boxes"]) << "row " << k;
  }
  EXPECT_EQ(c["cells"][2][3], 0);  // background is never "missed"
}

TEST_F(EvalDevSetTest, DecisionsOnSingleItemPhotosAddUpAndNameTheWrongOnes) {
  const nlohmann::json& d = (*report_)["decisions"];
  const int judged = d["judged"], right = d["right"];
  EXPECT_GT(judged, 40);
  EXPECT_LE(judged, d["single_item_images"].get<int>());
  EXPECT_EQ(right + static_cast<int>(d["wrong"].size()), judged);
  EXPECT_NEAR(d["accuracy"].get<double>(), static_cast<double>(right) / judged, 1e-4);
  for (const auto& w : d["wrong"]) {
    EXPECT_TRUE(fs::exists(w["file"].get<std::string>())) << w;
    EXPECT_TRUE(w["expected_material"] == "pet" || w["expected_material"] == "aluminium") << w;
    const auto& decided = w["decided"];
    // Wrong means: nothing seen, rejected, or accepted as another material.
    EXPECT_TRUE(decided["items"] == 0 || decided["accepted"] == false ||
                decided["material"] != w["expected_material"])
        << w;
  }
}

class EvalCliTest : public ::testing::Test {
 protected:
  void SetUp() override { tmp_ = rvm::e2e::FreshTestDir("rvm_eval_cli"); }
  void TearDown() override { fs::remove_all(tmp_); }
  std::string Common() const {
    return "--model " + kCoco + " --cache-dir " + (tmp_ / "cache").string() + " ";
  }
  // A small labelled folder: two dev photos with their labels.
  fs::path SmallSet() const {
    const fs::path dir = tmp_ / "set";
    fs::create_directories(dir / "images");
    fs::create_directories(dir / "labels");
    fs::copy_file(kShared + "/images/dev/classes.txt", dir / "classes.txt");
    int copied = 0;
    for (const auto& e : fs::directory_iterator(kShared + "/images/dev/labels")) {
      const fs::path image =
          fs::path(kShared) / "images/dev/images" / (e.path().stem().string() + ".jpg");
      if (!fs::exists(image)) continue;
      fs::copy_file(e.path(), dir / "labels" / e.path().filename());
      fs::copy_file(image, dir / "images" / image.filename());
      if (++copied == 2) break;
    }
    return dir;
  }
  fs::path tmp_;
};

TEST_F(EvalCliTest, AFolderWithoutLabelsIsAUsageErrorThatSaysSo) {
  const fs::path dir = tmp_ / "bare";
  fs::create_directories(dir / "images");
  RunResult r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has no labels/ folder"), std::string::npos) << r.err;
  fs::create_directories(dir / "labels");
  r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has no classes.txt, nor has its parent"), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, AMalformedLabelLineIsNamedWithItsFileAndLine) {
  const fs::path dir = SmallSet();
  const fs::path label = *fs::directory_iterator(dir / "labels");
  std::ofstream(label, std::ios::app) << "\n7 0.5 0.5 0.1 0.1\n";
  int lines = 0;
  {
    std::ifstream in(label);
    for (std::string l; std::getline(in, l);) ++lines;
  }
  RunResult r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(label.string() + ":" + std::to_string(lines) +
                       ": class id '7' is not one of 0..1"),
            std::string::npos)
      << r.err;
}

TEST_F(EvalCliTest, ACorruptImageIsCountedAndReportedAndTheRunGoesOn) {
  const fs::path dir = SmallSet();
  std::ofstream(dir / "images" / "broken.jpg") << "not a jpeg at all";
  RunResult r = RunCli("eval --json " + Common() + dir.string(), tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["images"], 3);
  EXPECT_EQ(j["evaluated"], 2);
  ASSERT_EQ(j["failed"].size(), 1u);
  EXPECT_NE(j["failed"][0]["file"].get<std::string>().find("broken.jpg"), std::string::npos);
  EXPECT_EQ(j["without_label_file"], 1);
  EXPECT_NE(r.err.find("1 unreadable image skipped"), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, WhenNoImageCanBeReadNothingIsMeasuredAndTheRunFails) {
  const fs::path dir = SmallSet();
  for (const auto& e : fs::directory_iterator(dir / "images")) {
    std::ofstream(e.path(), std::ios::trunc) << "not a jpeg at all";
  }
  RunResult r = RunCli("eval --json " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("none of the 2 images could be read: nothing measured"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "") << "no figures for a run that measured nothing";
}

TEST_F(EvalCliTest, AFolderWithNoLabelFileOrNoBoxAtAllIsAUsageErrorThatSaysSo) {
  const fs::path dir = SmallSet();
  std::vector<fs::path> labels;
  for (const auto& e : fs::directory_iterator(dir / "labels")) labels.push_back(e.path());
  ASSERT_EQ(labels.size(), 2u);
  // Every label file empty: images without items, nothing for AP or decisions.
  for (const fs::path& l : labels) std::ofstream(l, std::ios::trunc);
  RunResult r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("' hold no boxes: there is nothing to measure"), std::string::npos) << r.err;
  // Label files that match no image (here named after the whole file name).
  for (const fs::path& l : labels) fs::rename(l, fs::path(l.string() + ".jpg.txt"));
  r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has no label file for any of the 2 images"), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, TwoImagesThatWouldShareALabelFileAreBothNamed) {
  const fs::path dir = SmallSet();
  const fs::path jpg = *fs::directory_iterator(dir / "images");
  const fs::path png = fs::path(jpg).replace_extension(".png");
  ASSERT_TRUE(cv::imwrite(png.string(), cv::imread(jpg.string(), cv::IMREAD_COLOR)));
  RunResult r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("images that would share one label file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(jpg.string()), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(png.string()), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, MinAccuracyFailsTheRunBelowItAndPassesAtOrAbove) {
  const fs::path dir = SmallSet();
  RunResult r = RunCli("eval --json " + Common() + dir.string(), tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double accuracy = nlohmann::json::parse(r.out)["decisions"]["accuracy"];
  r = RunCli("eval --min-accuracy " + std::to_string(accuracy) + " " + Common() + dir.string(),
             tmp_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (accuracy < 1.0) {
    r = RunCli("eval --min-accuracy 1 " + Common() + dir.string(), tmp_);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("below --min-accuracy"), std::string::npos) << r.err;
  }
  // The readable report carries the same figures.
  r = RunCli("eval " + Common() + dir.string(), tmp_);
  EXPECT_NE(r.out.find("AP@0.5:0.95"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("confusion matrix"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("decisions on single-item images"), std::string::npos) << r.out;
}

TEST_F(EvalCliTest, ARegionOfInterestIsReportedAndABadOneIsAUsageError) {
  const fs::path dir = SmallSet();
  RunResult r = RunCli("eval --json --roi 0,0,1,1 " + Common() + dir.string(), tmp_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["roi"], (nlohmann::json{0, 0, 1, 1}));
  r = RunCli("eval --roi 0.8,0,0.2,1 " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--roi '0.8,0,0.2,1': x0 must be less than x1"), std::string::npos) << r.err;
  r = RunCli("detect --roi 0.1,0.1 " + Common() + dir.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("expected four fractions"), std::string::npos) << r.err;
}

TEST_F(EvalCliTest, TurnMeasuresWhatPhotosTurnedOnDiskWouldAndOnlyQuarterTurnsAreAccepted) {
  // The small set written twice as lossless PNG: upright, and turned a
  // quarter clockwise with its labels turned by hand (the left edge becomes
  // the top). `--turn 90` on the first must measure exactly the second.
  const fs::path small = SmallSet();
  const fs::path upright = tmp_ / "upright", turned = tmp_ / "turned";
  for (const fs::path& d : {upright, turned}) {
    fs::create_directories(d / "images");
    fs::create_directories(d / "labels");
    fs::copy_file(small / "classes.txt", d / "classes.txt");
  }
  for (const auto& e : fs::directory_iterator(small / "images")) {
    const std::string stem = e.path().stem().string();
    const cv::Mat img = cv::imread(e.path().string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << e.path();
    cv::Mat cw;
    cv::rotate(img, cw, cv::ROTATE_90_CLOCKWISE);
    ASSERT_TRUE(cv::imwrite((upright / "images" / (stem + ".png")).string(), img));
    ASSERT_TRUE(cv::imwrite((turned / "images" / (stem + ".png")).string(), cw));
    fs::copy_file(small / "labels" / (stem + ".txt"), upright / "labels" / (stem + ".txt"));
    std::ifstream in(small / "labels" / (stem + ".txt"));
    std::ofstream out(turned / "labels" / (stem + ".txt"));
    for (double c, cx, cy, w, h; in >> c >> cx >> cy >> w >> h;) {
      out << c << " " << 1.0 - cy << " " << cx << " " << h << " " << w << "\n";
    }
  }
  RunResult by_flag = RunCli("eval --json --turn 90 " + Common() + upright.string(), tmp_);
  RunResult on_disk = RunCli("eval --json " + Common() + turned.string(), tmp_);
  ASSERT_EQ(by_flag.exit_code, 0) << by_flag.err;
  ASSERT_EQ(on_disk.exit_code, 0) << on_disk.err;
  nlohmann::json a = nlohmann::json::parse(by_flag.out), b = nlohmann::json::parse(on_disk.out);
  EXPECT_EQ(a["turn"], 90);
  EXPECT_EQ(b["turn"], 0);
  EXPECT_GT(a["boxes"].get<int>(), 0);
  for (const char* key : {"boxes", "classes", "map50", "map50_95", "confusion"}) {
    EXPECT_EQ(a[key], b[key]) << key;
  }
  EXPECT_EQ(a["decisions"]["right"], b["decisions"]["right"]);
  EXPECT_EQ(a["decisions"]["judged"], b["decisions"]["judged"]);

  RunResult r = RunCli("eval --turn 45 " + Common() + upright.string(), tmp_);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--turn"), std::string::npos) << r.err;
}

}  // namespace
