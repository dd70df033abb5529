// The pipeline with the real detector (YOLOX-nano, ONNX Runtime) on the
// shared conveyor video and on image sequences built from the shared photos:
// the number of decisions is pinned, so a change in tracking, batching,
// ordering or queue policy that splits or merges items shows up here. Also
// the live confidence threshold on the real detector.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "capture/image_dir_source.h"
#include "capture/video_file_source.h"
#include "deposit/memory_decision_sink.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_config.h"

namespace rvm {
namespace {

namespace fs = std::filesystem;

const std::string kShared = RVM_SHARED_DIR;
const std::string kVideo = kShared + "/video/bottling_line_conveyor_bottles.mp4";

// The shared model with the conveyor test's low threshold (0.1): at the
// default 0.25 YOLOX-nano finds nothing in the dense row of clear bottles, so
// the low threshold is what gives the tracker something to do.
std::shared_ptr<DetectorModel> LoadModel() {
  static std::shared_ptr<DetectorModel> model = [] {
    DetectorConfig d;
    d.model_path = kShared + "/models/yolox_nano.onnx";
    d.labels_path = kShared + "/models/coco.names";
    d.cache_dir = "";
    d.intra_op_threads = 1;
    d.conf_threshold = 0.1;
    auto options = DetectorOptionsFromConfig(d);
    EXPECT_TRUE(options.ok());
    auto m = DetectorModel::Load(*options);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? *m : nullptr;
  }();
  return model;
}

struct RunOutcome {
  std::vector<Decision> decisions;
  PipelineStats stats;
};

RunOutcome RunOver(FrameSource& source, int workers, int batch) {
  auto model = LoadModel();
  if (!model) return {};
  Config config;
  // COCO YOLOX-nano sees cans only weakly (as cups, 0.25-0.5), so here every
  // box at the detector's threshold counts toward multiple_items.
  config.tracker.multiple_items_min_score = 0.25;
  auto labels = LabelMap::Create(model->labels(), config.policy);
  EXPECT_TRUE(labels.ok());
  const Clock& clock = SteadyClock::Instance();
  UuidV7Generator ids(clock);
  MemoryDecisionSink sink;
  DecisionRecorder recorder(config.machine, config.policy, config.sessions, *labels, sink, clock,
                            ids);
  PipelineOptions options = PipelineOptionsFromConfig(config);
  options.detect_every_frame = true;
  options.schedule.idle_fps = options.schedule.active_fps = 1000;  // a replay: as fast as it goes
  options.pipeline.inference_workers = workers;
  options.pipeline.batch_max_size = batch;
  PipelineParts parts;
  parts.source = &source;
  parts.detectors = ModelDetectorFactory(model);
  parts.labels = &*labels;
  parts.recorder = &recorder;
  parts.clock = &clock;
  Pipeline pipeline(options, std::move(parts));
  Status s = pipeline.Start();
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return {};
  s = pipeline.Wait();
  EXPECT_TRUE(s.ok()) << s.ToString();
  return {sink.decisions(), pipeline.stats()};
}

std::string Describe(const std::vector<Decision>& ds) {
  std::string out;
  for (const Decision& d : ds) {
    out += d.label + " " + (d.accepted ? "accepted" : "rejected") +
           " frames=" + std::to_string(d.frames) + " finish=" + d.finish + "\n";
  }
  return out;
}

RunOutcome RunVideo(int workers, int batch) {
  VideoFileOptions vo;
  vo.path = kVideo;
  VideoFileSource source(vo, SteadyClock::Instance());
  return RunOver(source, workers, batch);
}

TEST(PipelineRealTest, ConveyorVideoGivesAPinnedNumberOfDecisions) {
  RunOutcome r = RunVideo(1, 1);
  EXPECT_EQ(r.stats.frames_sampled, 213);
  EXPECT_EQ(r.stats.frames_inferred, r.stats.frames_sampled) << "a replay detects every frame";
  EXPECT_EQ(r.stats.frame_queue.dropped, 0u);
  // Ten tracks live long enough to be items; the model calls the clear
  // bottles "car" at low confidence, so every one is rejected (unknown item,
  // or several at once). None is accepted: no false credit.
  EXPECT_EQ(r.decisions.size(), 10u) << Describe(r.decisions);
  for (const Decision& d : r.decisions) EXPECT_FALSE(d.accepted) << Describe({d});
}

TEST(PipelineRealTest, ConveyorVideoDecisionsDoNotDependOnTheWorkerCount) {
  RunOutcome one = RunVideo(1, 1);
  RunOutcome three = RunVideo(3, 1);
  EXPECT_EQ(three.stats.workers, 3);
  EXPECT_EQ(Describe(three.decisions), Describe(one.decisions));
  ASSERT_EQ(three.decisions.size(), one.decisions.size());
  for (size_t i = 0; i < one.decisions.size(); ++i) {
    EXPECT_EQ(three.decisions[i].frames, one.decisions[i].frames);
    EXPECT_EQ(three.decisions[i].best_box.x1, one.decisions[i].best_box.x1);
  }
}

// Writes `copies` numbered copies of `image` (and `gap` grey frames of its
// size after them) into `dir`, continuing the numbering at `*n`.
void AppendSequence(const fs::path& dir, const cv::Mat& image, int copies, int gap, int* n) {
  auto name = [&] {
    char buf[32];
    std::snprintf(buf, sizeof buf, "frame_%04d.png", (*n)++);
    return (dir / buf).string();
  };
  for (int i = 0; i < copies; ++i) ASSERT_TRUE(cv::imwrite(name(), image));
  const cv::Mat grey(image.size(), CV_8UC3, cv::Scalar(128, 128, 128));
  for (int i = 0; i < gap; ++i) ASSERT_TRUE(cv::imwrite(name(), grey));
}

TEST(PipelineRealTest, ImageSequenceGivesOneDecisionPerItemShown) {
  const fs::path dir =
      fs::temp_directory_path() / ("rvm_pipeline_seq_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const cv::Mat bottle = cv::imread(kShared + "/images/misc/smartbin_bottle.jpg");
  const cv::Mat three = cv::imread(kShared + "/images/plain/pdoodp_alu_test_multi.jpg");
  ASSERT_FALSE(bottle.empty());
  ASSERT_FALSE(three.empty());
  int n = 0;
  // One bottle held in view, an empty chute, three bottles at once, empty.
  AppendSequence(dir, bottle, 8, 8, &n);
  AppendSequence(dir, three, 8, 8, &n);
  ImageDirOptions io;
  io.path = dir.string();
  ImageDirSource source(io, SteadyClock::Instance());
  RunOutcome r = RunOver(source, 2, 1);
  fs::remove_all(dir);
  EXPECT_EQ(r.stats.frames_sampled, 32);
  ASSERT_GE(r.decisions.size(), 2u) << Describe(r.decisions);
  EXPECT_TRUE(r.decisions[0].accepted) << Describe(r.decisions);
  EXPECT_EQ(r.decisions[0].label, "bottle");
  EXPECT_EQ(r.decisions[0].frames, 8);
  EXPECT_EQ(r.decisions.size(), 4u) << Describe(r.decisions);
  for (size_t i = 1; i < r.decisions.size(); ++i) {
    EXPECT_FALSE(r.decisions[i].accepted);
    EXPECT_EQ(r.decisions[i].reason, RejectReason::kMultipleItems) << Describe(r.decisions);
  }
}

TEST(PipelineRealTest, TheModelDetectorTakesANewConfidenceThresholdBetweenCalls) {
  auto model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto detector = ModelDetectorFactory(model)(1);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();
  const cv::Mat bottle = cv::imread(kShared + "/images/misc/smartbin_bottle.jpg");
  ASSERT_FALSE(bottle.empty());
  const std::vector<const cv::Mat*> images = {&bottle};
  std::vector<DetectionResult> out;
  ASSERT_TRUE((*detector)->DetectBatch(images, out).ok());
  const size_t at_configured = out[0].detections.size();
  ASSERT_GT(at_configured, 0u);
  float best = 0;
  for (const Detection& d : out[0].detections) best = std::max(best, d.score);
  ASSERT_LT(best, 1.0f);

  (*detector)->SetConfThreshold((best + 1.0f) / 2);  // above every score
  ASSERT_TRUE((*detector)->DetectBatch(images, out).ok());
  EXPECT_TRUE(out[0].detections.empty());
  (*detector)->SetConfThreshold(0.1f);  // the configured one again
  ASSERT_TRUE((*detector)->DetectBatch(images, out).ok());
  EXPECT_EQ(out[0].detections.size(), at_configured);
}

}  // namespace
}  // namespace rvm
