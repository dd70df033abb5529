// pipeline_bench: the service's figures in one run, on this machine.
//
//   bare       Detector::InferOnly on one frame: the model alone (1/t is the
//              ceiling a pipeline can approach)
//   serial     one thread: read a video frame, detect, track (no overlap)
//   staged     the Pipeline (capture, inference workers, decide on their own
//              threads) replaying the video, for each worker count asked
//   soak       the staged pipeline over --soak-frames frames (the video
//              looped): resident memory after warm-up and at the end, queue
//              and pool high-water marks
//   idle       the staged pipeline on a paced synthetic empty chute with the
//              real model loaded: CPU time over wall time, % of one core
//   observer   the staged pipeline with a dashboard-like PipelineObserver
//              against the same without one, alternating runs: fps ratio
//
// Every figure is printed as one line "name key=value ..." for the record.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>

#include "base/process_stats.h"
#include "capture/synthetic_source.h"
#include "capture/video_file_source.h"
#include "deposit/item_tracker.h"
#include "deposit/memory_decision_sink.h"
#include "pipeline/pipeline.h"
#include "pipeline/pipeline_config.h"

namespace rvm {
namespace {

using SteadyTime = std::chrono::steady_clock;

double Seconds(SteadyTime::time_point a, SteadyTime::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec * 1e-6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec * 1e-6;
}

struct Flags {
  std::string model;
  std::string labels;
  std::string video;
  int threads = 1;
  std::vector<int> workers = {1, 2};
  int bare_iterations = 100;
  int64_t soak_frames = 0;
  double idle_seconds = 10;
  int observer_pairs = 0;
};

// What a metrics and snapshot observer does per frame: sums per stage under a
// lock, and a copy of the latest detected frame and its boxes into reused
// buffers.
class DashboardObserver final : public PipelineObserver {
 public:
  void OnStage(std::string_view stage, double ms) override {
    std::lock_guard lock(mu_);
    for (auto& [name, sum] : stage_ms_) {
      if (name == stage) {
        sum += ms;
        return;
      }
    }
  }
  void OnBatch(int size) override {
    std::lock_guard lock(mu_);
    batch_frames_ += size;
  }
  void OnFrameDetected(const Frame& frame, const Detections& detections) override {
    std::lock_guard lock(mu_);
    frame.image.copyTo(latest_);
    latest_detections_.assign(detections.begin(), detections.end());
  }
  void OnDecision(const Decision&) override {
    std::lock_guard lock(mu_);
    ++decisions_;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string_view, double>> stage_ms_ = {
      {"capture", 0}, {"queue", 0}, {"inference", 0}, {"decide", 0}};
  int64_t batch_frames_ = 0;
  int64_t decisions_ = 0;
  cv::Mat latest_;
  Detections latest_detections_;
};

// A sink that keeps nothing: the soak must not grow because of the test.
class CountingSink final : public DecisionSink {
 public:
  Status Write(const Decision&) override {
    ++decisions;
    return Status::Ok();
  }
  Status WriteSessionSummary(const SessionSummary&) override { return Status::Ok(); }
  Status Flush() override { return Status::Ok(); }
  int64_t decisions = 0;
};

struct Service {
  Config config;
  std::shared_ptr<DetectorModel> model;
  std::optional<LabelMap> labels;
  CountingSink sink;
  UuidV7Generator ids{SteadyClock::Instance()};
  std::unique_ptr<DecisionRecorder> recorder;

  Service(std::shared_ptr<DetectorModel> m) : model(std::move(m)) {
    labels.emplace(LabelMap::Create(model->labels(), config.policy).value());
    recorder = std::make_unique<DecisionRecorder>(config.machine, config.policy, config.sessions,
                                                  *labels, sink, SteadyClock::Instance(), ids);
  }

  std::unique_ptr<Pipeline> Make(FrameSource& source, PipelineOptions options,
                                 PipelineObserver* observer = nullptr) {
    PipelineParts parts;
    parts.observer = observer;
    parts.source = &source;
    parts.detectors = ModelDetectorFactory(model);
    parts.labels = &*labels;
    parts.recorder = recorder.get();
    parts.clock = &SteadyClock::Instance();
    return std::make_unique<Pipeline>(options, std::move(parts));
  }
};

int Main(const Flags& f) {
  DetectorConfig dc;
  dc.model_path = f.model;
  dc.labels_path = f.labels;
  dc.cache_dir = "";
  dc.intra_op_threads = f.threads;
  auto model = DetectorModel::Load(DetectorOptionsFromConfig(dc).value());
  if (!model.ok()) {
    std::fprintf(stderr, "pipeline_bench: %s\n", model.status().ToString().c_str());
    return 1;
  }
  Service service(*model);
  const Clock& clock = SteadyClock::Instance();

  // bare: the model alone on one decoded frame.
  double bare_ms = 0;
  {
    VideoFileSource source(VideoFileOptions{f.video}, clock);
    Frame frame;
    if (!source.Open().ok() || !source.Read(frame).ok()) {
      std::fprintf(stderr, "pipeline_bench: cannot read '%s'\n", f.video.c_str());
      return 1;
    }
    auto det = (*model)->NewDetector(1).value();
    DetectionResult r;
    (void)det->Detect(frame.image, r);  // warm-up, fills the input tensor
    for (int i = 0; i < 5; ++i) (void)det->InferOnly();
    const auto t0 = SteadyTime::now();
    for (int i = 0; i < f.bare_iterations; ++i) (void)det->InferOnly();
    bare_ms = Seconds(t0, SteadyTime::now()) * 1000 / f.bare_iterations;
    std::printf("bare inference_ms=%.2f ceiling_fps=%.1f threads=%d\n", bare_ms, 1000 / bare_ms,
                f.threads);
  }

  // serial: read, detect, track on one thread.
  {
    VideoFileSource source(VideoFileOptions{f.video}, clock);
    (void)source.Open();
    auto det = (*model)->NewDetector(1).value();
    ItemTracker tracker(service.config.tracker);
    Frame frame;
    DetectionResult r;
    int64_t n = 0;
    const auto t0 = SteadyTime::now();
    while (source.Read(frame).ok()) {
      (void)det->Detect(frame.image, r);
      (void)tracker.Update(frame.captured_at, r.detections);
      ++n;
    }
    const double s = Seconds(t0, SteadyTime::now());
    std::printf("serial frames=%lld fps=%.1f ratio_to_ceiling=%.2f\n", static_cast<long long>(n),
                n / s, (n / s) / (1000 / bare_ms));
  }

  // staged: the pipeline replaying the video.
  for (int workers : f.workers) {
    VideoFileSource source(VideoFileOptions{f.video}, clock);
    PipelineOptions o = PipelineOptionsFromConfig(service.config);
    o.detect_every_frame = true;
    o.schedule.idle_fps = o.schedule.active_fps = 1000;  // as fast as it goes
    o.pipeline.inference_workers = workers;
    auto p = service.Make(source, o);
    const auto t0 = SteadyTime::now();
    (void)p->Start();
    (void)p->Wait();
    const double s = Seconds(t0, SteadyTime::now());
    const PipelineStats st = p->stats();
    const double fps = st.frames_inferred / s;
    std::printf(
        "staged workers=%d frames=%lld fps=%.1f ratio_to_ceiling=%.2f dropped=%llu "
        "frame_queue_max=%zu pool_max=%d\n",
        workers, static_cast<long long>(st.frames_inferred), fps, fps / (1000 / bare_ms),
        static_cast<unsigned long long>(st.frame_queue.dropped), st.frame_queue.max_depth,
        st.frame_pool.max_in_use);
  }

  // soak: many frames, resident memory flat after warm-up.
  if (f.soak_frames > 0) {
    VideoFileOptions vo{f.video};
    vo.loop = true;
    VideoFileSource source(vo, clock);
    PipelineOptions o = PipelineOptionsFromConfig(service.config);
    o.detect_every_frame = true;
    o.schedule.idle_fps = o.schedule.active_fps = 1000;  // as fast as it goes
    o.pipeline.inference_workers = f.workers.back();
    auto p = service.Make(source, o);
    (void)p->Start();
    const int64_t warm = std::min<int64_t>(1000, f.soak_frames / 10);
    int64_t rss_warm = 0, rss_max_after_warm = 0;
    const auto t0 = SteadyTime::now();
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      const PipelineStats st = p->stats();
      const int64_t rss = ReadProcessStats().rss_bytes;
      if (st.frames_inferred >= warm && rss_warm == 0) rss_warm = rss;
      if (rss_warm > 0) rss_max_after_warm = std::max(rss_max_after_warm, rss);
      if (st.frames_sampled >= f.soak_frames) break;
    }
    p->Stop();
    (void)p->Wait();
    const PipelineStats st = p->stats();
    const int64_t rss_end = ReadProcessStats().rss_bytes;
    std::printf(
        "soak frames=%lld seconds=%.0f rss_after_warmup_mb=%.1f rss_max_mb=%.1f rss_end_mb=%.1f "
        "growth_mb=%.2f frame_queue_max=%zu/%zu result_queue_max=%zu/%zu pool_max=%d/%d "
        "decisions=%lld\n",
        static_cast<long long>(st.frames_inferred), Seconds(t0, SteadyTime::now()), rss_warm / 1e6,
        rss_max_after_warm / 1e6, rss_end / 1e6, (rss_max_after_warm - rss_warm) / 1e6,
        st.frame_queue.max_depth, st.frame_queue.capacity, st.result_queue.max_depth,
        st.result_queue.capacity, st.frame_pool.max_in_use, st.frame_pool.size,
        static_cast<long long>(service.sink.decisions));
  }

  // idle: an empty chute from a paced synthetic camera, model loaded.
  if (f.idle_seconds > 0) {
    SyntheticSceneOptions so;
    so.width = 1280;
    so.height = 720;
    so.fps = 30;
    so.pace = true;
    so.noise_stddev = 2;
    SyntheticSource source(so, clock);
    PipelineOptions o = PipelineOptionsFromConfig(service.config);
    auto p = service.Make(source, o);
    (void)p->Start();
    std::this_thread::sleep_for(std::chrono::seconds(1));  // start-up
    const double c0 = CpuSeconds();
    const auto t0 = SteadyTime::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(f.idle_seconds));
    const double cpu = CpuSeconds() - c0;
    const double wall = Seconds(t0, SteadyTime::now());
    p->Stop();
    (void)p->Wait();
    const PipelineStats st = p->stats();
    std::printf(
        "idle seconds=%.1f cpu_percent_of_one_core=%.2f frames_sampled=%lld inferred=%lld "
        "idle_fps=%.1f\n",
        wall, 100 * cpu / wall, static_cast<long long>(st.frames_sampled),
        static_cast<long long>(st.frames_inferred), service.config.capture.idle_fps);
  }
  // observer: the same replay with and without an observer, alternating so
  // that load from elsewhere hits both alike.
  if (f.observer_pairs > 0) {
    double fps_sum[2] = {0, 0};
    for (int pair = 0; pair < f.observer_pairs; ++pair) {
      for (int with = 0; with < 2; ++with) {
        VideoFileSource source(VideoFileOptions{f.video}, clock);
        PipelineOptions o = PipelineOptionsFromConfig(service.config);
        o.detect_every_frame = true;
        o.schedule.idle_fps = o.schedule.active_fps = 1000;  // as fast as it goes
        DashboardObserver observer;
        auto p = service.Make(source, o, with ? &observer : nullptr);
        const auto t0 = SteadyTime::now();
        (void)p->Start();
        (void)p->Wait();
        fps_sum[with] += p->stats().frames_inferred / Seconds(t0, SteadyTime::now());
      }
    }
    const double without = fps_sum[0] / f.observer_pairs, with = fps_sum[1] / f.observer_pairs;
    std::printf("observer pairs=%d workers=%d fps_without=%.1f fps_with=%.1f ratio=%.3f\n",
                f.observer_pairs, service.config.pipeline.inference_workers, without, with,
                with / without);
  }
  return 0;
}

}  // namespace
}  // namespace rvm

int main(int argc, char** argv) {
  rvm::Flags f;
  CLI::App app{"pipeline_bench: staged pipeline against bare inference and a serial loop"};
  app.add_option("--model", f.model, "ONNX model")->required();
  app.add_option("--labels", f.labels, "labels file");
  app.add_option("--video", f.video, "video file to replay")->required();
  app.add_option("--threads", f.threads, "intra-op threads per inference")->capture_default_str();
  app.add_option("--workers", f.workers, "worker counts for the staged runs")
      ->capture_default_str();
  app.add_option("--bare-iterations", f.bare_iterations, "")->capture_default_str();
  app.add_option("--soak-frames", f.soak_frames, "frames for the soak, 0 = none");
  app.add_option("--idle-seconds", f.idle_seconds, "seconds of idle measurement, 0 = none")
      ->capture_default_str();
  app.add_option("--observer-pairs", f.observer_pairs,
                 "staged runs with and without an observer, alternating; 0 = none")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return rvm::Main(f);
}
