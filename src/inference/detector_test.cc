// The detector on the shared models and images: pinned results, both
// backends agreeing, the optimized-model cache, and every kind of bad model.
#include "inference/detector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "base/file_util.h"
#include "inference/model_cache.h"
#include "inference/ort_engine.h"
#include "vision/exif_test_util.h"
#include "vision/image_decoder.h"

namespace rvm {
namespace {

namespace fs = std::filesystem;

std::string Shared(const std::string& rel) { return std::string(RVM_SHARED_DIR) + "/" + rel; }
const std::string kYoloX = "models/yolox_nano.onnx";
const std::string kFastestDet = "models/fastestdet.onnx";

class DetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = fs::temp_directory_path() /
           ("rvm_detector_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  static DetectorOptions Options(const std::string& model, const std::string& backend = "ort") {
    DetectorOptions o;
    o.engine.model_path = Shared(model);
    o.engine.backend = backend;
    o.labels_path = Shared("models/coco.names");
    // Above the service's 0.25: COCO YOLOX-nano also sees a weak second box
    // on the smartbin photo, and these tests count one bottle.
    o.post.conf_threshold = 0.4f;
    return o;
  }
  static DetectionResult DetectFile(const DetectorOptions& o, const std::string& image) {
    auto m = DetectorModel::Load(o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    if (!m.ok()) return {};
    auto d = (*m)->NewDetector();
    EXPECT_TRUE(d.ok());
    DetectionResult r;
    Status s = (*d)->DetectFile(Shared(image), r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r;
  }
  static const Detection* Find(const DetectionResult& r, int class_id) {
    for (const auto& d : r.detections) {
      if (d.class_id == class_id) return &d;
    }
    return nullptr;
  }

  fs::path tmp_;
};

TEST_F(DetectorTest, YoloXFindsOneBottleOnTheSmartbinImage) {
  DetectionResult r = DetectFile(Options(kYoloX), "images/misc/smartbin_bottle.jpg");
  ASSERT_EQ(r.detections.size(), 1u);
  const Detection& d = r.detections[0];
  EXPECT_EQ(d.class_id, 39);
  EXPECT_NEAR(d.score, 0.77f, 0.02f);
  EXPECT_NEAR(d.box.x1, 10, 2.5);
  EXPECT_NEAR(d.box.y1, 7, 2.5);
  EXPECT_NEAR(d.box.x2, 164, 2.5);
  EXPECT_NEAR(d.box.y2, 371, 2.5);
  EXPECT_EQ(r.width, 177);
  EXPECT_EQ(r.height, 386);
}

TEST_F(DetectorTest, YoloXFindsDogBicycleAndCar) {
  DetectionResult r = DetectFile(Options(kYoloX), "images/misc/nanodet_dog.jpg");
  for (int cls : {16, 1, 2}) {
    const Detection* d = Find(r, cls);
    ASSERT_NE(d, nullptr) << "class " << cls;
    EXPECT_GT(d->score, 0.79f) << "class " << cls;
  }
  const Detection* dog = Find(r, 16);
  EXPECT_NEAR(dog->box.x1, 133, 4);
  EXPECT_NEAR(dog->box.y2, 542, 4);
}

TEST_F(DetectorTest, YoloXFindsTheBusAndItsPassengersOnALargeScaledJpeg) {
  DetectionResult r = DetectFile(Options(kYoloX), "images/misc/nanodet_bus.jpg");
  EXPECT_EQ(r.width, 810);
  EXPECT_EQ(r.height, 1080);
  const Detection* bus = Find(r, 5);
  ASSERT_NE(bus, nullptr);
  EXPECT_GT(bus->score, 0.85f);
  EXPECT_GE(std::count_if(r.detections.begin(), r.detections.end(),
                          [](const Detection& d) { return d.class_id == 0; }),
            3);
  for (const auto& d : r.detections) {
    EXPECT_GE(d.box.x1, 0);
    EXPECT_LE(d.box.x2, 810);
    EXPECT_LE(d.box.y2, 1080);
  }
}

TEST_F(DetectorTest, APhotoWithAnExifTurnIsSeenUprightAndAnsweredInUprightPixels) {
  // The bus photo (810x1080) as a phone stores a sideways shot: pixels turned
  // a quarter, orientation 8. The model must see the bus upright, and the
  // boxes and sizes are the upright image's (1080 wide), as viewers show it.
  auto plain = ReadFileBytes(Shared("images/misc/nanodet_bus.jpg"));
  ASSERT_TRUE(plain.ok());
  auto m = DetectorModel::Load(Options(kYoloX));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto d = (*m)->NewDetector();
  ASSERT_TRUE(d.ok());

  // Stored sideways: the upright photo turned clockwise, tagged 8 (turn it back).
  ImageDecoder decoder;
  DecodedImage stored;
  ASSERT_TRUE(decoder.Decode(plain->data(), plain->size(), "bus", {}, stored).ok());
  cv::Mat sideways;
  cv::rotate(stored.bgr, sideways, cv::ROTATE_90_CLOCKWISE);
  std::vector<uint8_t> encoded;
  ASSERT_TRUE(cv::imencode(".jpg", sideways, encoded, {cv::IMWRITE_JPEG_QUALITY, 95}));
  const auto tagged = testing::WithExifOrientation(encoded, 8);

  DetectionResult turned;
  ASSERT_TRUE((*d)->DetectEncoded(tagged.data(), tagged.size(), "bus-8", turned).ok());
  EXPECT_EQ(turned.width, 810);
  EXPECT_EQ(turned.height, 1080);
  const Detection* bus = Find(turned, 5);
  ASSERT_NE(bus, nullptr) << "the bus, seen upright";
  EXPECT_GT(bus->score, 0.85f);

  // The same as the untagged upright photo, up to JPEG re-encoding.
  DetectionResult upright;
  ASSERT_TRUE((*d)->DetectEncoded(plain->data(), plain->size(), "bus", upright).ok());
  const Detection* reference = Find(upright, 5);
  ASSERT_NE(reference, nullptr);
  EXPECT_NEAR(bus->box.x1, reference->box.x1, 6);
  EXPECT_NEAR(bus->box.y1, reference->box.y1, 6);
  EXPECT_NEAR(bus->box.x2, reference->box.x2, 6);
  EXPECT_NEAR(bus->box.y2, reference->box.y2, 6);
  EXPECT_NEAR(bus->score, reference->score, 0.03);
}

TEST_F(DetectorTest, FastestDetFindsDogBicycleAndCar) {
  DetectionResult r = DetectFile(Options(kFastestDet), "images/misc/nanodet_dog.jpg");
  for (int cls : {16, 1, 2}) {
    const Detection* d = Find(r, cls);
    ASSERT_NE(d, nullptr) << "class " << cls;
    EXPECT_GT(d->score, 0.5f);
  }
  EXPECT_NEAR(Find(r, 16)->box.x1, 126, 8);
}

TEST_F(DetectorTest, FastestDetFindsTheBusAndPeople) {
  DetectionResult r = DetectFile(Options(kFastestDet), "images/misc/nanodet_bus.jpg");
  ASSERT_NE(Find(r, 5), nullptr);
  ASSERT_NE(Find(r, 0), nullptr);
  EXPECT_GT(Find(r, 0)->score, 0.75f);
}

TEST_F(DetectorTest, BothBackendsAgreeOnEverySharedModelAndImage) {
  for (const std::string& model : {kYoloX, kFastestDet}) {
    for (const auto& entry : fs::directory_iterator(Shared("images/misc"))) {
      const std::string image = "images/misc/" + entry.path().filename().string();
      DetectorOptions ort = Options(model, "ort");
      DetectorOptions cv = Options(model, "opencv");
      ort.post.conf_threshold = cv.post.conf_threshold = 0.3f;
      DetectionResult a = DetectFile(ort, image);
      DetectionResult b = DetectFile(cv, image);
      // Match each ORT detection to an OpenCV one of the same class; a
      // detection near the threshold may legitimately appear on one side only.
      int matched = 0;
      for (const Detection& d : a.detections) {
        const Detection* best = nullptr;
        for (const Detection& e : b.detections) {
          if (e.class_id == d.class_id && (!best || IoU(e.box, d.box) > IoU(best->box, d.box))) {
            best = &e;
          }
        }
        if (!best) {
          EXPECT_LT(d.score, 0.31f) << model << " " << image << " class " << d.class_id;
          continue;
        }
        ++matched;
        EXPECT_NEAR(best->score, d.score, 0.01f) << model << " " << image;
        EXPECT_NEAR(best->box.x1, d.box.x1, 1.0f) << model << " " << image;
        EXPECT_NEAR(best->box.y1, d.box.y1, 1.0f) << model << " " << image;
        EXPECT_NEAR(best->box.x2, d.box.x2, 1.0f) << model << " " << image;
        EXPECT_NEAR(best->box.y2, d.box.y2, 1.0f) << model << " " << image;
      }
      EXPECT_GE(matched + 1, static_cast<int>(b.detections.size())) << model << " " << image;
    }
  }
}

TEST_F(DetectorTest, SecondLoadUsesTheCacheAndGivesIdenticalResults) {
  DetectorOptions o = Options(kYoloX);
  o.engine.cache_dir = (tmp_ / "cache").string();
  auto cold = DetectorModel::Load(o);
  ASSERT_TRUE(cold.ok());
  EXPECT_EQ((*cold)->info().cache, "miss");
  auto warm = DetectorModel::Load(o);
  ASSERT_TRUE(warm.ok());
  EXPECT_EQ((*warm)->info().cache, "hit");
  DetectionResult a, b;
  ASSERT_TRUE((*(*cold)->NewDetector())->DetectFile(Shared("images/misc/nanodet_dog.jpg"), a).ok());
  ASSERT_TRUE((*(*warm)->NewDetector())->DetectFile(Shared("images/misc/nanodet_dog.jpg"), b).ok());
  ASSERT_EQ(a.detections.size(), b.detections.size());
  for (size_t i = 0; i < a.detections.size(); ++i) {
    EXPECT_NEAR(a.detections[i].score, b.detections[i].score, 1e-4);
  }
}

TEST_F(DetectorTest, CorruptCacheEntryIsRebuiltNotTrusted) {
  DetectorOptions o = Options(kYoloX);
  o.engine.cache_dir = (tmp_ / "cache").string();
  ASSERT_TRUE(DetectorModel::Load(o).ok());
  // Flip bytes in the middle of the cached graph.
  std::string cached;
  for (const auto& e : fs::directory_iterator(o.engine.cache_dir)) {
    if (e.path().extension() == ".onnx") cached = e.path().string();
  }
  ASSERT_FALSE(cached.empty());
  {
    std::fstream f(cached, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(cached) / 2));
    f.write("garbage!", 8);
  }
  auto again = DetectorModel::Load(o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->info().cache, "rebuilt");
  EXPECT_NE((*again)->info().cache_detail.find("SHA-256"), std::string::npos);
  auto third = DetectorModel::Load(o);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->info().cache, "hit");
  DetectionResult r;
  ASSERT_TRUE(
      (*(*again)->NewDetector())->DetectFile(Shared("images/misc/smartbin_bottle.jpg"), r).ok());
  ASSERT_EQ(r.detections.size(), 1u);
}

TEST_F(DetectorTest, ModelMetadataIsRead) {
  auto info = InspectModel(Shared(kYoloX));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->input_width, 416);
  EXPECT_EQ(info->output_shape, (std::vector<int64_t>{1, 3549, 85}));
}

// --- bad models -------------------------------------------------------------

Status LoadStatus(const DetectorOptions& o) { return DetectorModel::Load(o).status(); }

TEST_F(DetectorTest, MissingModelIsNotFoundAndNamed) {
  DetectorOptions o = Options(kYoloX);
  o.engine.model_path = (tmp_ / "nope.onnx").string();
  Status s = LoadStatus(o);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("nope.onnx': no such file"), std::string::npos) << s.message();
}

TEST_F(DetectorTest, TruncatedModelIsRejected) {
  auto bytes = std::vector<char>(fs::file_size(Shared(kYoloX)) / 3);
  std::ifstream(Shared(kYoloX), std::ios::binary).read(bytes.data(), bytes.size());
  const std::string path = (tmp_ / "truncated.onnx").string();
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
  for (const std::string backend : {"ort", "opencv"}) {
    DetectorOptions o = Options(kYoloX, backend);
    o.engine.model_path = path;
    Status s = LoadStatus(o);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << backend;
    EXPECT_NE(s.message().find("truncated.onnx"), std::string::npos) << s.message();
  }
}

TEST_F(DetectorTest, NonOnnxAndEmptyModelFilesAreRejected) {
  const std::string text = (tmp_ / "notes.onnx").string();
  std::ofstream(text) << "this is a text file, not a model\n";
  const std::string empty = (tmp_ / "empty.onnx").string();
  std::ofstream(empty).close();
  for (const std::string& path : {text, empty}) {
    DetectorOptions o = Options(kYoloX);
    o.engine.model_path = path;
    Status s = LoadStatus(o);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
  }
}

// A minimal ONNX file, written field by field: an Identity from an image-like
// input to an output of the same shape, which no detector family decodes.
std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  s.push_back(static_cast<char>(v));
  return s;
}
std::string Field(int number, const std::string& bytes) {
  return Varint(static_cast<uint64_t>(number) << 3 | 2) + Varint(bytes.size()) + bytes;
}
std::string IntField(int number, uint64_t v) {
  return Varint(static_cast<uint64_t>(number) << 3) + Varint(v);
}
std::string ValueInfo(const std::string& name, const std::vector<int>& dims) {
  std::string shape;
  for (int d : dims) shape += Field(1, IntField(1, d));         // dim { dim_value }
  const std::string tensor = IntField(1, 1) + Field(2, shape);  // elem_type FLOAT, shape
  return Field(1, name) + Field(2, Field(1, tensor));           // name, type { tensor_type }
}

TEST_F(DetectorTest, ModelWhoseOutputMatchesNoFamilyIsRejectedWithItsShape) {
  const std::string node = Field(1, "x") + Field(2, "y") + Field(4, "Identity");
  const std::string graph = Field(1, node) + Field(2, "g") +
                            Field(11, ValueInfo("x", {1, 3, 32, 32})) +
                            Field(12, ValueInfo("y", {1, 3, 32, 32}));
  const std::string model = IntField(1, 8) + Field(8, IntField(2, 13)) + Field(7, graph);
  const std::string path = (tmp_ / "identity.onnx").string();
  std::ofstream(path, std::ios::binary) << model;
  DetectorOptions o = Options(kYoloX);
  o.engine.model_path = path;
  o.labels_path.clear();
  Status s = LoadStatus(o);
  EXPECT_EQ(s.code(), StatusCode::kUnsupported) << s.ToString();
  EXPECT_NE(s.message().find("[1, 3, 32, 32]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("identity.onnx"), std::string::npos) << s.message();
}

TEST_F(DetectorTest, LabelsFileOfTheWrongLengthIsRejectedNamingIt) {
  const std::string labels = (tmp_ / "two.names").string();
  std::ofstream(labels) << "can\nbottle\n";
  DetectorOptions o = Options(kYoloX);
  o.labels_path = labels;
  Status s = LoadStatus(o);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("80 classes"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("two.names"), std::string::npos) << s.message();
}

TEST_F(DetectorTest, BadImagesGiveErrorsNamingTheFileAndTheDetectorCarriesOn) {
  auto m = DetectorModel::Load(Options(kYoloX));
  ASSERT_TRUE(m.ok());
  auto d = (*m)->NewDetector();
  ASSERT_TRUE(d.ok());
  const std::string zero = (tmp_ / "zero.jpg").string();
  std::ofstream(zero).close();
  const std::string text = (tmp_ / "text.jpg").string();
  std::ofstream(text) << "hello";
  DetectionResult r;
  for (const std::string& bad : {zero, text, (tmp_ / "missing.jpg").string()}) {
    Status s = (*d)->DetectFile(bad, r);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
  ASSERT_TRUE((*d)->DetectFile(Shared("images/misc/smartbin_bottle.jpg"), r).ok());
  EXPECT_EQ(r.detections.size(), 1u);
}

TEST_F(DetectorTest, ARegionOfInterestSeesWhatACropSeesAndAnswersInWholeImagePixels) {
  const std::string file = Shared("images/misc/nanodet_dog.jpg");
  const cv::Mat full = cv::imread(file, cv::IMREAD_COLOR);
  ASSERT_FALSE(full.empty());
  DetectorOptions with_roi = Options(kYoloX);
  with_roi.roi = Roi{0.1, 0.3, 0.6, 1.0};  // the dog; the car is outside
  const PixelRect r = RoiPixels(with_roi.roi, full.cols, full.rows);
  const cv::Mat crop = full(cv::Rect(r.x, r.y, r.width, r.height)).clone();
  auto roi_model = DetectorModel::Load(with_roi);
  auto plain_model = DetectorModel::Load(Options(kYoloX));
  ASSERT_TRUE(roi_model.ok() && plain_model.ok());
  auto roi_det = (*roi_model)->NewDetector();
  auto plain_det = (*plain_model)->NewDetector();
  ASSERT_TRUE(roi_det.ok() && plain_det.ok());

  DetectionResult in_roi, of_crop, whole;
  ASSERT_TRUE((*roi_det)->Detect(full, in_roi).ok());
  ASSERT_TRUE((*plain_det)->Detect(crop, of_crop).ok());
  ASSERT_TRUE((*plain_det)->Detect(full, whole).ok());
  EXPECT_EQ(in_roi.width, full.cols);
  EXPECT_EQ(in_roi.height, full.rows);
  // The model saw exactly the crop's pixels: the same boxes, moved to the whole image.
  ASSERT_EQ(in_roi.detections.size(), of_crop.detections.size());
  ASSERT_FALSE(in_roi.detections.empty());
  for (size_t i = 0; i < in_roi.detections.size(); ++i) {
    const Detection& a = in_roi.detections[i];
    const Detection& b = of_crop.detections[i];
    EXPECT_EQ(a.class_id, b.class_id);
    EXPECT_NEAR(a.box.x1, b.box.x1 + r.x, 1.0);
    EXPECT_NEAR(a.box.y1, b.box.y1 + r.y, 1.0);
    EXPECT_NEAR(a.box.x2, b.box.x2 + r.x, 1.0);
    EXPECT_NEAR(a.box.y2, b.box.y2 + r.y, 1.0);
  }
  // The dog, inside the region, is where the uncropped detection puts it (the model
  // sees it at about twice the resolution, so the edges move by a few percent);
  // the car, outside, is not seen.
  const Detection* dog = Find(in_roi, 16);
  const Detection* dog_whole = Find(whole, 16);
  ASSERT_NE(dog, nullptr);
  ASSERT_NE(dog_whole, nullptr);
  EXPECT_GT(IoU(dog->box, dog_whole->box), 0.85f);
  EXPECT_NE(Find(whole, 2), nullptr);
  EXPECT_EQ(Find(in_roi, 2), nullptr);

  // A batch and a file (decoded at a reduced scale that still covers the region) agree.
  std::vector<DetectionResult> batch;
  ASSERT_TRUE((*roi_det)->DetectBatch({&full}, batch).ok());
  ASSERT_EQ(batch[0].detections.size(), in_roi.detections.size());
  EXPECT_NEAR(batch[0].detections[0].box.x2, in_roi.detections[0].box.x2, 0.01);
  DetectionResult from_file;
  ASSERT_TRUE((*roi_det)->DetectFile(file, from_file).ok());
  const Detection* dog_file = Find(from_file, 16);
  ASSERT_NE(dog_file, nullptr);
  EXPECT_NEAR(dog_file->box.x1, dog->box.x1, 2);
  EXPECT_NEAR(dog_file->box.y2, dog->box.y2, 2);
}

TEST_F(DetectorTest, ARegionOfInterestOutsideTheImageIsRefusedAtLoad) {
  DetectorOptions o = Options(kYoloX);
  o.roi = Roi{0.5, 0, 0.5, 1};
  auto m = DetectorModel::Load(o);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "region of interest [0.5, 0, 0.5, 1]: x0 must be less than x1");
}

TEST_F(DetectorTest, BatchOfOneMatchesSingleImageDetection) {
  auto m = DetectorModel::Load(Options(kYoloX));
  ASSERT_TRUE(m.ok());
  auto d = (*m)->NewDetector();
  ASSERT_TRUE(d.ok());
  // A real photo with objects in it, so the comparison is of detections, not of two empty lists.
  const cv::Mat img = cv::imread(Shared("images/misc/smartbin_bottle.jpg"), cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  DetectionResult single;
  ASSERT_TRUE((*d)->Detect(img, single).ok());
  ASSERT_FALSE(single.detections.empty());
  std::vector<DetectionResult> batch;
  ASSERT_TRUE((*d)->DetectBatch({&img}, batch).ok());
  ASSERT_EQ(batch.size(), 1u);
  ASSERT_EQ(batch[0].detections.size(), single.detections.size());
  for (size_t i = 0; i < single.detections.size(); ++i) {
    const Detection& a = single.detections[i];
    const Detection& b = batch[0].detections[i];
    EXPECT_EQ(b.class_id, a.class_id) << "detection " << i;
    EXPECT_FLOAT_EQ(b.score, a.score) << "detection " << i;
    EXPECT_FLOAT_EQ(b.box.x1, a.box.x1) << "detection " << i;
    EXPECT_FLOAT_EQ(b.box.y1, a.box.y1) << "detection " << i;
    EXPECT_FLOAT_EQ(b.box.x2, a.box.x2) << "detection " << i;
    EXPECT_FLOAT_EQ(b.box.y2, a.box.y2) << "detection " << i;
  }
  EXPECT_EQ(batch[0].width, img.cols);
  EXPECT_EQ(batch[0].height, img.rows);
}

}  // namespace
}  // namespace rvm
