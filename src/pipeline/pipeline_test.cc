// The pipeline with a synthetic chute, a fake detector that finds the scene's
// coloured objects, and an in-memory sink: decision counts, idle behaviour,
// ordering with several workers, backpressure and shutdown; the operations
// hooks (observer, live threshold, out of service, frame liveness, restart).
#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string_view>
#include <thread>

#include "capture/image_dir_source.h"
#include "capture/synthetic_source.h"
#include "capture/video_file_source.h"
#include "deposit/memory_decision_sink.h"
#include "logging/logging.h"

namespace rvm {
namespace {

using std::chrono::milliseconds;

const cv::Scalar kGreen{40, 160, 40};

// Finds the green synthetic object: one "bottle" (class 0, score 0.9) box
// around it, and with `hand` also a "person" (class 1, score 0.8, an ignored
// label) box over the whole frame. Scores below the threshold are dropped.
class ColourDetector final : public FrameDetector {
 public:
  ColourDetector(int capacity, milliseconds delay, bool hand = false)
      : capacity_(capacity), delay_(delay), hand_(hand) {}
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
      const Detection bottle{
          0, 0.9f, Box{float(r.x), float(r.y), float(r.x + r.width), float(r.y + r.height)}};
      const Detection person{1, 0.8f, Box{0, 0, float(images[i]->cols), float(images[i]->rows)}};
      if (bottle.score >= threshold_) out[i].detections.push_back(bottle);
      if (hand_ && person.score >= threshold_) out[i].detections.push_back(person);
    }
    return Status::Ok();
  }
  int batch_capacity() const override { return capacity_; }
  void SetConfThreshold(float threshold) override { threshold_ = threshold; }

 private:
  const int capacity_;
  const milliseconds delay_;
  const bool hand_;
  float threshold_ = 0;
  cv::Mat mask_;
};

// The names ("comm") of this process's threads now, one per thread.
std::vector<std::string> ThreadNames() {
  std::vector<std::string> names;
  if (DIR* d = opendir("/proc/self/task")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream comm(std::string("/proc/self/task/") + e->d_name + "/comm");
      std::getline(comm, names.emplace_back());
    }
    closedir(d);
  }
  return names;
}

// Threads of this process now.
int ThreadCount() { return static_cast<int>(ThreadNames().size()); }

// Records what the pipeline tells an observer, and on which threads.
class RecordingObserver final : public PipelineObserver {
 public:
  struct Seen {
    std::map<std::string, int64_t> stage_calls;
    std::map<std::string, std::set<std::thread::id>> stage_threads;
    int64_t negative_ms = 0;
    int64_t batches = 0;
    int64_t batch_frames = 0;
    std::vector<int> batch_sizes;  // in the order the batches ran
    std::chrono::steady_clock::time_point first_batch_at{};  // real time
    std::vector<bool> frame_had_detections;  // per detected frame, in order
    int64_t ignored_labels_seen = 0;
    int64_t empty_images = 0;
    std::set<std::thread::id> detected_threads;
    std::vector<std::string> decision_ids;
    std::set<std::thread::id> decision_threads;
    std::vector<int> threads_when_probed;  // ThreadCount() at probed detected frames
  };

  // The next detected frame records how many threads the process has.
  void ProbeThreadsAtNextFrame() {
    std::lock_guard lock(mu_);
    probe_ = true;
  }

  void OnStage(std::string_view stage, double ms) override {
    std::lock_guard lock(mu_);
    ++seen_.stage_calls[std::string(stage)];
    seen_.stage_threads[std::string(stage)].insert(std::this_thread::get_id());
    if (ms < 0) ++seen_.negative_ms;
  }
  void OnBatch(int size) override {
    std::lock_guard lock(mu_);
    if (seen_.batches == 0) seen_.first_batch_at = std::chrono::steady_clock::now();
    ++seen_.batches;
    seen_.batch_frames += size;
    seen_.batch_sizes.push_back(size);
  }
  void OnFrameDetected(const Frame& frame, const Detections& detections) override {
    std::lock_guard lock(mu_);
    seen_.frame_had_detections.push_back(!detections.empty());
    for (const Detection& d : detections) {
      if (d.class_id == 1) ++seen_.ignored_labels_seen;
    }
    if (frame.image.empty()) ++seen_.empty_images;
    seen_.detected_threads.insert(std::this_thread::get_id());
    if (probe_) {
      seen_.threads_when_probed.push_back(ThreadCount());
      probe_ = false;
    }
  }
  void OnDecision(const Decision& decision) override {
    std::lock_guard lock(mu_);
    seen_.decision_ids.push_back(decision.item_id);
    seen_.decision_threads.insert(std::this_thread::get_id());
  }

  Seen seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  Seen seen_;
  bool probe_ = false;
};

// A camera that delivers `frames` frames and then stalls: every later read
// is a temporary failure. Remembers when (on the clock) it delivered the last.
class StallingSource final : public FrameSource {
 public:
  StallingSource(int frames, const Clock& clock) : frames_(frames), clock_(clock) {}
  Status Open() override {
    n_ = 0;
    return Status::Ok();
  }
  Status Read(Frame& into) override {
    if (n_ >= frames_) return Unavailable("stalled camera: no frame");
    into.image.create(48, 64, CV_8UC3);
    into.image.setTo(cv::Scalar(1, 2, 3));
    StampFrame(into, n_++, clock_, name_);
    last_delivery_ = clock_.Now();
    return Status::Ok();
  }
  void Close() override {}
  const std::string& name() const override { return name_; }
  std::string Describe() const override { return name_; }
  bool StartsOverWhenReopened() const override { return false; }
  std::chrono::steady_clock::time_point last_delivery() const { return last_delivery_; }

 private:
  const int frames_;
  const Clock& clock_;
  int n_ = 0;
  std::chrono::steady_clock::time_point last_delivery_{};
  std::string name_ = "stalling";
};

int64_t Millis(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// Polls `done` until it holds or 20 s pass; whether it held.
template <typename Pred>
bool WaitUntil(Pred done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

// The thread count once it has held still for 200 ms. A joined thread can
// still be listed for a moment after pthread_join returns: the kernel wakes
// the joiner before the thread is gone, and under qemu-user the host thread
// exits well after the emulated join has returned.
int SettledThreadCount() {
  int n = ThreadCount();
  auto since = std::chrono::steady_clock::now();
  WaitUntil([&] {
    const int now = ThreadCount();
    if (now != n) {
      n = now;
      since = std::chrono::steady_clock::now();
    }
    return std::chrono::steady_clock::now() - since >= milliseconds(200);
  });
  return n;
}

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
  bool StartsOverWhenReopened() const override { return false; }

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

  // A pipeline over the fixture's source; the recorder is made by the first
  // call and shared by later ones (a restart keeps it).
  std::unique_ptr<Pipeline> Make(int workers = 1, int batch = 1,
                                 milliseconds delay = milliseconds(0)) {
    if (!recorder_) {
      recorder_ = std::make_unique<DecisionRecorder>(MachineConfig{}, PolicyConfig{}, sessions_,
                                                     labels_, sink_, clock_, ids_);
    }
    options_.pipeline.inference_workers = workers;
    options_.pipeline.batch_max_size = batch;
    PipelineParts parts;
    parts.source = source_.get();
    const bool hand = hand_;
    parts.detectors = [delay, hand](int max_batch) -> Result<std::unique_ptr<FrameDetector>> {
      return std::unique_ptr<FrameDetector>(
          std::make_unique<ColourDetector>(max_batch, delay, hand));
    };
    parts.labels = &labels_;
    parts.recorder = recorder_.get();
    parts.clock = &clock_;
    parts.sleep = FakeSleep(clock_);
    parts.observer = observer_;
    return std::make_unique<Pipeline>(options_, std::move(parts));
  }

  FakeClock clock_;
  UuidV7Generator ids_;
  LabelMap labels_;
  MemoryDecisionSink sink_;
  PipelineOptions options_;
  SessionsConfig sessions_;
  bool hand_ = false;  // the detector also reports an ignored "person"
  PipelineObserver* observer_ = nullptr;
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
  const Scene scene{260, {{20, 60}, {110, 150}, {190, 230}}};
  // The reference: one worker, one frame per call.
  UseScene(scene);
  auto one = Make();
  ASSERT_TRUE(one->Start().ok());
  ASSERT_TRUE(one->Wait().ok());
  const std::vector<Decision> expected = sink_.decisions();
  ASSERT_EQ(expected.size(), 3u);

  // Three workers taking batches of up to four from a busy queue.
  MemoryDecisionSink batched_sink;
  recorder_ = std::make_unique<DecisionRecorder>(MachineConfig{}, PolicyConfig{}, sessions_,
                                                 labels_, batched_sink, clock_, ids_);
  UseScene(scene);
  options_.pipeline.frame_pool_size = 16;
  options_.pipeline.frame_queue_capacity = 8;
  options_.pipeline.batch_timeout_ms = 1000;
  auto p = Make(/*workers=*/3, /*batch=*/4, milliseconds(5));
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const std::vector<Decision> got = batched_sink.decisions();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].label, expected[i].label) << "item " << i;
    EXPECT_EQ(got[i].accepted, expected[i].accepted) << "item " << i;
    // Same frame (wall-clock milliseconds of the fake clock round by up to 1 ms).
    EXPECT_NEAR(got[i].first_seen_ms - got[0].first_seen_ms,
                expected[i].first_seen_ms - expected[0].first_seen_ms, 1)
        << "item " << i << " first seen at another frame";
  }
  const PipelineStats s = p->stats();
  EXPECT_EQ(s.workers, 3);
  EXPECT_EQ(s.batch_capacity, 4);
  EXPECT_GT(s.max_batch, 1) << "no batch of more than one frame formed";
  EXPECT_LE(s.max_batch, 4);
  EXPECT_EQ(s.inference_failures, 0) << "a batch larger than the detector takes";
  EXPECT_EQ(s.frames_tracked, s.frames_inferred);
  EXPECT_EQ(s.frames_inferred + static_cast<int64_t>(s.frame_queue.dropped), s.frames_to_detector);
}

TEST_F(PipelineTest, ABusyDetectorIsGivenFullBatches) {
  // The source runs flat out (fake clock) while each call takes 20 ms: frames
  // wait in the queue, and the worker takes as many as a batch holds.
  UseScene({200, {{10, 190}}});
  RecordingObserver observer;
  observer_ = &observer;
  options_.pipeline.frame_pool_size = 16;
  options_.pipeline.frame_queue_capacity = 8;
  options_.pipeline.batch_timeout_ms = 1000;
  auto p = Make(/*workers=*/1, /*batch=*/4, milliseconds(20));
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  ASSERT_EQ(sink_.decisions().size(), 1u);
  const PipelineStats s = p->stats();
  const std::vector<int> sizes = observer.seen().batch_sizes;
  EXPECT_EQ(s.max_batch, 4);
  EXPECT_EQ(s.inference_failures, 0);
  const int64_t full = std::count(sizes.begin(), sizes.end(), 4);
  EXPECT_GE(full * 2, static_cast<int64_t>(sizes.size()))
      << "fewer than half the batches were full: " << testing::PrintToString(sizes);
  EXPECT_GT(s.mean_batch(), 2.0);
}

TEST_F(PipelineTest, APartialBatchGoesToTheDetectorWhenTheBatchTimeoutEnds) {
  // Two frames, then the camera stalls: the batch of four never fills, and
  // the worker runs the two it has once batch_timeout_ms has passed.
  source_ = std::make_unique<StallingSource>(2, clock_);
  RecordingObserver observer;
  observer_ = &observer;
  options_.detect_every_frame = true;  // flat frames: no motion to wake the detector
  options_.pipeline.batch_timeout_ms = 150;
  auto p = Make(/*workers=*/1, /*batch=*/4);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(WaitUntil([&] { return observer.seen().batch_frames >= 2; }));
  p->Stop();
  ASSERT_TRUE(p->Wait().ok());
  const RecordingObserver::Seen seen = observer.seen();
  ASSERT_FALSE(seen.batch_sizes.empty());
  EXPECT_LT(seen.batch_sizes[0], 4);
  EXPECT_EQ(seen.batch_frames, 2) << testing::PrintToString(seen.batch_sizes);
  EXPECT_GE(seen.first_batch_at - started, milliseconds(150))
      << "the partial batch did not wait for batch_timeout_ms";
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
  // The failure is a line of the service log (structured, redacted), naming the cause.
  const std::vector<std::string> lines = RecentLogLines(50);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("item not recorded") != std::string::npos &&
           l.find("decisions.jsonl: disk full") != std::string::npos;
  })) << "no log line for the refused decision";
}

TEST_F(PipelineTest, StartRejectsOptionsOutOfRange) {
  UseScene({10, {}});
  options_.pipeline.frame_pool_size = 1;
  auto p = Make();
  Status s = p->Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("pipeline.frame_pool_size = 1"), std::string::npos) << s.message();
}

TEST_F(PipelineTest, TheObserverHearsEveryStageBatchFrameAndDecisionOnTheStageThreads) {
  UseScene({200, {{20, 60}, {110, 150}}});
  RecordingObserver observer;
  observer_ = &observer;
  hand_ = true;  // the observer must not see the ignored label
  options_.pipeline.frame_pool_size = 8;
  auto p = Make(/*workers=*/2, /*batch=*/3);
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const PipelineStats s = p->stats();
  const RecordingObserver::Seen seen = observer.seen();

  EXPECT_EQ(seen.stage_calls.at("capture"), s.frames_sampled) << "every frame read";
  EXPECT_EQ(seen.stage_calls.at("queue"), s.frames_inferred);
  EXPECT_EQ(seen.stage_calls.at("inference"), s.frames_inferred) << "per frame of each batch";
  EXPECT_EQ(seen.stage_calls.at("decide"), s.frames_tracked);
  EXPECT_EQ(seen.negative_ms, 0);
  EXPECT_EQ(seen.batches, s.batches);
  EXPECT_EQ(seen.batch_frames, s.frames_inferred);
  ASSERT_GT(s.frames_inferred, 0);

  EXPECT_EQ(static_cast<int64_t>(seen.frame_had_detections.size()), s.frames_tracked);
  EXPECT_GT(std::count(seen.frame_had_detections.begin(), seen.frame_had_detections.end(), true),
            10);
  EXPECT_EQ(seen.ignored_labels_seen, 0) << "detections reach the observer without ignored labels";
  EXPECT_EQ(seen.empty_images, 0);

  std::vector<std::string> recorded;
  for (const Decision& d : sink_.decisions()) recorded.push_back(d.item_id);
  EXPECT_EQ(seen.decision_ids, recorded) << "each recorded decision, in order";
  ASSERT_EQ(recorded.size(), 2u);

  // Capture and decide each run on one thread of their own; inference on the
  // two workers; detected frames and decisions on the decide thread.
  const auto& threads = seen.stage_threads;
  ASSERT_EQ(threads.at("capture").size(), 1u);
  ASSERT_EQ(threads.at("decide").size(), 1u);
  EXPECT_LE(threads.at("inference").size(), 2u);
  EXPECT_EQ(threads.at("queue"), threads.at("inference"));
  const std::thread::id capture = *threads.at("capture").begin();
  const std::thread::id decide = *threads.at("decide").begin();
  EXPECT_NE(capture, decide);
  EXPECT_NE(capture, std::this_thread::get_id());
  EXPECT_EQ(threads.at("inference").count(capture), 0u);
  EXPECT_EQ(threads.at("inference").count(decide), 0u);
  EXPECT_EQ(seen.detected_threads, std::set<std::thread::id>{decide});
  EXPECT_EQ(seen.decision_threads, std::set<std::thread::id>{decide});
}

TEST_F(PipelineTest, ANewConfidenceThresholdChangesTheDetectionsOfLaterFrames) {
  // An endless stream with the item always in view: every frame is detected.
  UseScene({0, {{-1'000'000, 1'000'000}}});
  options_.tracker.settle_frames = 100000;
  options_.detect_every_frame = true;
  RecordingObserver observer;
  observer_ = &observer;
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  auto frames_with = [&](bool had) {
    const auto v = observer.seen().frame_had_detections;
    return std::count(v.begin(), v.end(), had);
  };
  ASSERT_TRUE(WaitUntil([&] { return frames_with(true) >= 5; }));
  RuntimeSettings settings = RuntimeSettingsOf(Config{});
  settings.conf_threshold = 0.95;  // above the detector's 0.9
  p->SetRuntimeSettings(settings);
  ASSERT_TRUE(WaitUntil([&] { return frames_with(false) >= 5; }))
      << "the bottle is still detected after the threshold went up";
  settings.conf_threshold = 0.5;
  p->SetRuntimeSettings(settings);
  const auto before = frames_with(true);
  ASSERT_TRUE(WaitUntil([&] { return frames_with(true) >= before + 5; }));
  p->Stop();
  ASSERT_TRUE(p->Wait().ok());

  // Detected, then not from one frame on, then detected again: each change
  // holds for every frame after the first one it reached.
  const auto v = observer.seen().frame_had_detections;
  int changes = 0;
  for (size_t i = 1; i < v.size(); ++i) changes += v[i] != v[i - 1] ? 1 : 0;
  EXPECT_EQ(changes, 2);
  EXPECT_TRUE(v.front());
  EXPECT_TRUE(v.back());
}

TEST_F(PipelineTest, ANewIdleRateChangesTheSamplingOfARunningPipeline) {
  UseScene({1'000'000'000, {}});  // an empty chute, endless
  options_.schedule.idle_fps = 2;
  options_.schedule.active_fps = 30;
  auto p = Make();
  ASSERT_TRUE(p->Start().ok());
  // Frames sampled per second of the fixture's clock, over the next `frames` frames.
  auto rate_over = [&](int64_t frames) {
    const int64_t n0 = p->stats().frames_sampled;
    const auto t0 = clock_.Now();
    EXPECT_TRUE(WaitUntil([&] { return p->stats().frames_sampled >= n0 + frames; }));
    const double s = std::chrono::duration<double>(clock_.Now() - t0).count();
    return (p->stats().frames_sampled - n0) / s;
  };
  EXPECT_LT(rate_over(6), 3.0);
  RuntimeSettings settings = RuntimeSettingsOf(Config{});
  settings.idle_fps = 20;
  settings.active_fps = 30;
  p->SetRuntimeSettings(settings);
  EXPECT_GT(rate_over(60), 12.0);
  EXPECT_EQ(p->stats().frames_to_detector, 0) << "the chute stayed empty: idle all along";
  p->Stop();
  ASSERT_TRUE(p->Wait().ok());
}

TEST_F(PipelineTest, ItemsDecidedOutOfServiceAreRecordedAsRejected) {
  UseScene({200, {{20, 60}, {110, 150}}});
  auto p = Make();
  recorder_->SetOutOfService(true, "maintenance: cleaning");
  ASSERT_TRUE(p->Start().ok());
  ASSERT_TRUE(p->Wait().ok());
  const auto decisions = sink_.decisions();
  ASSERT_EQ(decisions.size(), 2u);
  for (const Decision& d : decisions) {
    EXPECT_FALSE(d.accepted);
    EXPECT_EQ(d.reason, RejectReason::kOutOfService);
    EXPECT_EQ(d.reason_detail, "maintenance: cleaning");
    EXPECT_EQ(d.points, 0);
  }
  EXPECT_EQ(p->stats().items_decided, 2);
  EXPECT_EQ(p->stats().items_accepted, 0);
}

TEST_F(PipelineTest, StatsSayHowLongAgoTheSourceLastDeliveredAFrame) {
  auto stalling = std::make_unique<StallingSource>(10, clock_);
  StallingSource* source = stalling.get();
  source_ = std::move(stalling);
  auto p = Make();
  EXPECT_EQ(p->stats().last_frame_ms, -1);
  EXPECT_EQ(p->stats().last_frame_age_ms(clock_.Now()), -1) << "no frame yet";
  ASSERT_TRUE(p->Start().ok());
  // Each failed read waits retry_delay (20 ms) on the fake clock.
  ASSERT_TRUE(WaitUntil([&] { return p->stats().read_failures >= 100; }));
  p->Stop();
  ASSERT_TRUE(p->Wait().ok());
  const PipelineStats s = p->stats();
  EXPECT_EQ(s.frames_sampled, 10);
  EXPECT_EQ(s.last_frame_ms, Millis(source->last_delivery()));
  const int64_t age = s.last_frame_age_ms(clock_.Now());
  EXPECT_EQ(age, Millis(clock_.Now()) - Millis(source->last_delivery()));
  EXPECT_GE(age, 100 * 20) << "the stall is as long as the retries waited";
}

TEST_F(PipelineTest, ARestartOverTheSamePartsRunsAgainWithoutLeakingThreads) {
  UseScene({100, {{20, 60}}});  // one item per pass over the scene
  sessions_.idle_timeout_s = 3600;
  RecordingObserver observer;
  observer_ = &observer;
  std::optional<SessionTicket> ticket;
  int threads_after_first_run = 0;
  for (int run = 0; run < 3; ++run) {
    auto p = Make(/*workers=*/2);
    if (run == 0) {
      auto t = p->OpenUserSession(42);
      ASSERT_TRUE(t.ok()) << t.status().ToString();
      ticket = *t;
    }
    observer.ProbeThreadsAtNextFrame();
    ASSERT_TRUE(p->Start().ok()) << "run " << run;
    ASSERT_TRUE(p->Wait().ok()) << "run " << run;
    EXPECT_EQ(p->stats().frames_sampled, 100) << "the source was reopened from its start";
    ASSERT_EQ(sink_.decisions().size(), static_cast<size_t>(run + 1)) << "run " << run;
    p.reset();
    if (run == 0) threads_after_first_run = SettledThreadCount();
    // A thread left running never goes away; a joined one is gone at once.
    EXPECT_TRUE(WaitUntil([&] { return ThreadCount() == threads_after_first_run; }))
        << "threads left over after run " << run << ": "
        << ::testing::PrintToString(ThreadNames()) << ", " << threads_after_first_run
        << " after run 0";
  }
  // Every run had its own capture, worker and decide threads, all joined
  // (an item's first frame reaches decide while capture still runs: the
  // frame pool holds it back).
  const RecordingObserver::Seen seen = observer.seen();
  ASSERT_EQ(seen.threads_when_probed.size(), 3u);
  for (int during : seen.threads_when_probed) {
    EXPECT_GE(during, threads_after_first_run + 4) << "capture, 2 workers and decide";
  }
  EXPECT_EQ(seen.stage_calls.at("capture"), 3 * 100);
  for (const Decision& d : sink_.decisions()) {
    EXPECT_TRUE(d.accepted);
    EXPECT_EQ(d.session_id, ticket->session_id) << "the open session survives a restart";
  }
  EXPECT_EQ(recorder_->CurrentSession()->session_id, ticket->session_id);
}

TEST_F(PipelineTest, ARestartReopensAVideoFileAndAnImageDirectoryFromTheirStart) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("rvm_pipeline_restart_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (int i = 0; i < 3; ++i) {
    const cv::Mat m(48, 64, CV_8UC3, cv::Scalar::all(40 * i));
    ASSERT_TRUE(cv::imwrite((dir / ("frame_" + std::to_string(i) + ".png")).string(), m));
  }
  struct Case {
    std::unique_ptr<FrameSource> source;
    int64_t frames;
  };
  std::vector<Case> cases;
  cases.push_back({std::make_unique<VideoFileSource>(
                       VideoFileOptions{.path = std::string(RVM_SHARED_DIR) +
                                                "/video/bottling_line_conveyor_bottles.mp4"},
                       clock_),
                   213});
  cases.push_back(
      {std::make_unique<ImageDirSource>(ImageDirOptions{.path = dir.string()}, clock_), 3});
  for (Case& c : cases) {
    source_ = std::move(c.source);
    for (int run = 0; run < 2; ++run) {
      auto p = Make();
      ASSERT_TRUE(p->Start().ok()) << source_->Describe() << " run " << run;
      ASSERT_TRUE(p->Wait().ok()) << source_->Describe() << " run " << run;
      EXPECT_EQ(p->stats().frames_sampled, c.frames) << source_->Describe() << " run " << run;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_F(PipelineTest, AFailedStartCanBeRetried) {
  source_ = std::make_unique<StallingSource>(0, clock_);
  int made = 0;
  recorder_ = std::make_unique<DecisionRecorder>(MachineConfig{}, PolicyConfig{}, sessions_,
                                                 labels_, sink_, clock_, ids_);
  PipelineParts parts;
  parts.source = source_.get();
  parts.detectors = [&made](int max_batch) -> Result<std::unique_ptr<FrameDetector>> {
    if (++made == 2) return Unavailable("detector: no memory on the accelerator");
    return std::unique_ptr<FrameDetector>(
        std::make_unique<ColourDetector>(max_batch, milliseconds(0)));
  };
  parts.labels = &labels_;
  parts.recorder = recorder_.get();
  parts.clock = &clock_;
  parts.sleep = FakeSleep(clock_);
  options_.pipeline.inference_workers = 2;
  Pipeline p(options_, std::move(parts));
  EXPECT_EQ(p.Start().code(), StatusCode::kUnavailable);
  ASSERT_TRUE(p.Start().ok()) << "the second try makes its detectors afresh";
  EXPECT_EQ(p.stats().workers, 2);
  p.Stop();
  ASSERT_TRUE(p.Wait().ok());
}

}  // namespace
}  // namespace rvm
