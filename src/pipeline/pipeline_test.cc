// The pipeline with a synthetic chute, a fake detector that finds the scene's
// coloured objects, and an in-memory sink: decision counts, idle behaviour,
// ordering with several workers, backpressure and shutdown.
#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <thread>

#include "capture/synthetic_source.h"
#include "deposit/memory_decision_sink.h"

namespace rvm {
namespace {

using std::chrono::milliseconds;

const cv::Scalar kGreen{40, 160, 40};

// Finds the green synthetic object: one "bottle" (class 0) box around it.
class ColourDetector final : public FrameDetector {
 public:
  ColourDetector(int capacity, milliseconds delay) : capacity_(capacity), delay_(delay) {}
  Status DetectBatch(const std::vector<const cv::Mat*>& images,
                     std::vector<DetectionResult>& out) override {
    if (static_cast<int>(images.size()) > capacity_) return InvalidArgument("batch too large");
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    out.resize(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
      cv::inRange(*images[i], kGreen - cv::Scalar(5, 5, 5), kGreen + cv::Scalar(5, 5, 5), mask_);
      out[i].detections.clear();
      out[i].width = images[i]->cols;
      out[i].height = images[i]->rows;
      if (cv::countNonZero(mask_) < 50) continue;
      const cv::Rect r = cv::boundingRect(mask_);
      out[i].detections.push_back(Detection{
          0, 0.9f, Box{float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)}});
    }
    return Status::Ok();
  }
  int batch_capacity() const override { return capacity_; }

 private:
  const int capacity_;
  const milliseconds delay_;
  cv::Mat mask_;
};

// A source that fails fatally after `frames` frames.
class BrokenSource final : public FrameSource {
 public:
  explicit BrokenSource(int frames) : frames_(frames) {}
  Status Open() override { return Status::Ok(); }
  Status Read(Frame& into) override {
    if (n_ >= frames_) return InvalidArgument("broken source: the file is corrupt");
    into.image.create(48, 64, CV_8UC3);
    into.image.setTo(cv::Scalar(1, 2, 3));
    into.seq = n_++;
    return Status::Ok();
  }
  void Close() override {}
  const std::string& name() const override { return name_; }
  std::string Describe() const override { return name_; }

 private:
  const int frames_;
  int n_ = 0;
  std::string name_ = "broken";
};

struct Scene {
  int64_t frames = 200;
  std::vector<std::pair<int64_t, int64_t>> objects;  // [enter, exit)
};

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() : ids_(clock_), labels_(MakeLabels()) {}

  static LabelMap MakeLabels() {
    auto m = LabelMap::Create({"bottle", "person", "cup"}, PolicyConfig{});
    EXPECT_TRUE(m.ok());
    return std::move(m).value();
  }

  void UseScene(const Scene& scene) {
    SyntheticSceneOptions o;
    o.frame_count = scene.frames;
    for (auto [enter, exit] : scene.objects) {
      o.objects.push_back(SyntheticObject{enter, exit, cv::Size(120, 260), kGreen});
    }
    source_ = std::make_unique<SyntheticSource>(o, clock_, FakeSleep(clock_));
  }

  std::unique_ptr<Pipeline> Make(int workers = 1, int batch = 1,
                                 milliseconds delay = milliseconds(0)) {
    recorder_ = std::make_unique<DecisionRecorder>(MachineConfig{}, PolicyConfig{},
                                                   SessionsConfig{}, labels_, sink_, clock_, ids_);
    options_.pipeline.inference_workers = workers;
    options_.pipeline.batch_max_size = batch;
    PipelineParts parts;
    parts.source = source_.get();
    parts.detectors = [delay](int max_batch) -> Result<std::unique_ptr<FrameDetector>> {
      return std::unique_ptr<FrameDetector>(std::make_unique<ColourDetector>(max_batch, delay));
    };
    parts.labels = &labels_;
    parts.recorder = recorder_.get();
    parts.clock = &clock_;
    parts.sleep = FakeSleep(clock_);
    return std::make_unique<Pipeline>(options_, std::move(parts));
  }

  FakeClock clock_;
  UuidV7Generator ids_;
  LabelMap labels_;
  MemoryDecisionSink sink_;
  PipelineOptions options_;
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<DecisionRecorder> recorder_;
};

TEST_F(PipelineTest, EmitsOneDecisionPerObjectPassingThroughTheChute) {
  UseScene({200, {{20, 60}, {110, 150}}});
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const auto decisions = sink_.decisions();
  ASSERT_EQ(decisions.size(), 2u);
  for (const Decision& d : decisions) {
    EXPECT_TRUE(d.accepted);
    EXPECT_EQ(d.label, "bottle");
    EXPECT_EQ(d.material, Material::kPet);
    EXPECT_FALSE(d.best_frame_jpeg.empty()) << "the best frame is attached as evidence";
    EXPECT_EQ(d.stage_ms.size(), 4u);
  }
  EXPECT_LT(decisions[0].first_seen_ms, decisions[1].first_seen_ms);
  const PipelineStats s = p->stats();
  EXPECT_EQ(s.items_decided, 2);
  EXPECT_EQ(s.evidence_missing, 0);
  EXPECT_EQ(s.frames_sampled, 200);
  EXPECT_GT(sink_.flushes(), 0) << "the sink is flushed at the end";
}

TEST_F(PipelineTest, TheDetectorDoesNotRunOnAnEmptyChute) {
  UseScene({150, {}});
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const PipelineStats s = p->stats();
  EXPECT_EQ(s.frames_sampled, 150);
  EXPECT_EQ(s.frames_idle, 150);
  EXPECT_EQ(s.frames_inferred, 0);
  EXPECT_EQ(s.batches, 0);
  EXPECT_TRUE(sink_.decisions().empty());
}

TEST_F(PipelineTest, SeveralWorkersWithBatchesGiveTheSameDecisions) {
  UseScene({260, {{20, 60}, {110, 150}, {190, 230}}});
  options_.pipeline.frame_pool_size = 16;
  options_.pipeline.frame_queue_capacity = 8;
  auto p = Make(/*workers=*/3, /*batch=*/4, milliseconds(1));
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  EXPECT_EQ(sink_.decisions().size(), 3u);
  const PipelineStats s = p->stats();
  EXPECT_EQ(s.workers, 3);
  EXPECT_EQ(s.batch_capacity, 4);
  EXPECT_GE(s.max_batch, 1);
  EXPECT_LE(s.max_batch, 4);
  EXPECT_EQ(s.frames_tracked, s.frames_inferred);
  EXPECT_EQ(s.frames_inferred + static_cast<int64_t>(s.frame_queue.dropped), s.frames_to_detector);
}

TEST_F(PipelineTest, FramesOfAnItemInProgressAreNotDroppedBySlowInference) {
  // A queue of one frame and a detector far slower than the source: live
  // frames are dropped, but once the tracker follows the item its frames
  // wait, so every frame between its first and last sighting is tracked.
  UseScene({120, {{10, 70}}});
  options_.schedule.active_fps = 20;  // 50 ms per frame on the fake clock
  options_.pipeline.frame_queue_capacity = 1;
  options_.pipeline.frame_pool_size = 3;
  options_.tracker.settle_frames = 1000;  // decide only when it leaves: counts every frame
  auto p = Make(1, 1, milliseconds(3));
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const auto decisions = sink_.decisions();
  ASSERT_EQ(decisions.size(), 1u);
  const Decision& d = decisions[0];
  const int64_t span_frames = (d.last_seen_ms - d.first_seen_ms + 25) / 50 + 1;
  EXPECT_GE(span_frames, 20);
  EXPECT_EQ(d.frames, span_frames) << "frames of the item in progress were dropped";
  const PipelineStats s = p->stats();
  EXPECT_LE(s.frame_pool.max_in_use, 3);
  EXPECT_LE(s.frame_queue.max_depth, 1u);
}

TEST_F(PipelineTest, StopDecidesTheItemStillInView) {
  // An endless stream with an item that stays in the middle of the view.
  UseScene({0, {{-1'000'000, 1'000'000}}});
  options_.tracker.settle_frames = 100000;
  options_.detect_every_frame = true;  // it never moves: no motion to wake the detector
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (p->stats().frames_tracked < 20 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  EXPECT_FALSE(p->finished());
  p->Stop();
  EXPECT_TRUE(p->WaitFor(std::chrono::seconds(10)));
  ASSERT_TRUE(p->Wait().ok());
  const auto decisions = sink_.decisions();
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].finish, "flushed");
}

TEST_F(PipelineTest, DecisionsGoToTheUserSessionOpenedOnThePipeline) {
  UseScene({100, {{20, 60}}});
  auto p = Make();
  auto ticket = p->OpenUserSession(42);
  ASSERT_TRUE(ticket.ok()) << ticket.status().ToString();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const auto decisions = sink_.decisions();
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].session_id, ticket->session_id);
  EXPECT_EQ(decisions[0].user_id, 42);
  EXPECT_EQ(decisions[0].session_kind, "user");
}

TEST_F(PipelineTest, AFatalSourceErrorEndsTheRunWithThatError) {
  source_ = std::make_unique<BrokenSource>(10);
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  Status s = p->Wait();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("corrupt"), std::string::npos);
  EXPECT_EQ(p->stats().frames_sampled, 10);
}

TEST_F(PipelineTest, ASinkThatRefusesDecisionsIsCountedNotHidden) {
  UseScene({100, {{20, 60}}});
  sink_.FailWith(IoError("decisions.jsonl: disk full"));
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  Status s = p->Wait();
  EXPECT_FALSE(s.ok()) << "the final flush fails";
  EXPECT_EQ(p->stats().record_failures, 1);
  EXPECT_EQ(p->stats().items_decided, 0);
}

TEST_F(PipelineTest, StartRejectsOptionsOutOfRange) {
  UseScene({10, {}});
  options_.pipeline.frame_pool_size = 1;
  auto p = Make();
  Status s = p->Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pipeline.frame_pool_size = 1"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace rvm
