// capture_idle_bench: how much CPU the capture side uses with an empty chute
// (idle mode: low sampling rate, motion gate only) against active mode (full
// rate, every frame to the detector), measured in one run.
//
// The "camera" is a paced synthetic scene of an empty chute. Active mode is held by reporting an
// item in progress. With --model, each active frame also runs that ONNX model through OpenCV DNN as
// a stand-in detector, so the ratio includes the work idle mode avoids; without it, the active
// figure is capture and gate alone. CPU is process user+system time from getrusage over wall time,
// as a percentage of one core (OpenCV is held to one thread, so it cannot exceed 100).
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "capture/capture_loop.h"
#include "capture/synthetic_source.h"

namespace rvm {
namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct ModeResult {
  int64_t frames = 0;
  int64_t detector_runs = 0;
  double wall_s = 0;
  double cpu_percent = 0;
};

struct BenchConfig {
  double seconds = 5;
  int width = 1280;
  int height = 720;
  double camera_fps = 30;
  double idle_fps = 2;
  double active_fps = 15;
  double noise = 0;
  std::string model;
  int model_size = 416;
};

Result<std::unique_ptr<FrameSource>> MakeSource(const BenchConfig& c, const Clock& clock) {
  SyntheticSceneOptions scene;
  scene.width = c.width;
  scene.height = c.height;
  scene.fps = c.camera_fps;
  scene.pace = true;
  scene.noise_stddev = c.noise;
  auto source = std::make_unique<SyntheticSource>(scene, clock);
  RVM_RETURN_IF_ERROR(source->Open());
  return std::unique_ptr<FrameSource>(std::move(source));
}

// Mean CPU microseconds of one MotionGate::Update on a frame of the bench's
// size (CPU time, so a busy machine does not inflate it).
double GateMicros(const BenchConfig& c) {
  SteadyClock& clock = SteadyClock::Instance();
  SyntheticSceneOptions scene;
  scene.width = c.width;
  scene.height = c.height;
  scene.noise_stddev = c.noise;
  SyntheticSource unpaced(scene, clock);
  if (!unpaced.Open().ok()) return -1;
  Frame frame;
  if (!unpaced.Read(frame).ok()) return -1;
  MotionGate gate;
  constexpr int kRuns = 500;
  double cpu_start = CpuSeconds();
  for (int i = 0; i < kRuns; ++i) gate.Update(frame.image);
  return (CpuSeconds() - cpu_start) * 1e6 / kRuns;
}

Result<ModeResult> RunMode(const BenchConfig& c, bool active, cv::dnn::Net* detector) {
  SteadyClock& clock = SteadyClock::Instance();
  auto source = MakeSource(c, clock);
  if (!source.ok()) return source.status();
  CaptureScheduler scheduler(
      {.idle_fps = c.idle_fps, .active_fps = c.active_fps, .quiet_period = std::chrono::seconds(1)},
      clock);
  if (active) scheduler.SetItemInProgress(true);
  MotionGate gate;
  CaptureLoop loop(**source, scheduler, gate, clock);
  Frame frame;
  cv::Mat blob;
  ModeResult r;
  auto start = clock.Now();
  double cpu_start = CpuSeconds();
  auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(c.seconds));
  while (clock.Now() < end) {
    auto step = loop.Next(frame);
    if (!step.ok()) return step.status();
    ++r.frames;
    if (step->to_detector && detector != nullptr) {
      cv::dnn::blobFromImage(frame.image, blob, 1.0, cv::Size(c.model_size, c.model_size));
      detector->setInput(blob);
      cv::Mat out = detector->forward();
      ++r.detector_runs;
    }
  }
  r.wall_s = std::chrono::duration<double>(clock.Now() - start).count();
  r.cpu_percent = 100.0 * (CpuSeconds() - cpu_start) / r.wall_s;
  return r;
}

int Main(int argc, char** argv) {
  BenchConfig c;
  CLI::App app("Capture CPU in idle mode (empty chute) against active mode");
  app.add_option("--seconds", c.seconds, "Seconds per mode")->check(CLI::PositiveNumber);
  app.add_option("--width", c.width, "Synthetic camera width")->check(CLI::PositiveNumber);
  app.add_option("--height", c.height, "Synthetic camera height")->check(CLI::PositiveNumber);
  app.add_option("--camera-fps", c.camera_fps, "Synthetic camera frame rate");
  app.add_option("--idle-fps", c.idle_fps, "Sampling rate in idle mode");
  app.add_option("--active-fps", c.active_fps, "Sampling rate in active mode");
  app.add_option("--noise", c.noise, "Synthetic sensor noise (grey levels)");
  app.add_option("--model", c.model, "ONNX model run on active frames (OpenCV DNN stand-in)");
  app.add_option("--model-size", c.model_size, "Square input size of --model");
  CLI11_PARSE(app, argc, argv);
  Status valid = CaptureScheduler::Validate({.idle_fps = c.idle_fps, .active_fps = c.active_fps});
  if (!valid.ok()) {
    std::fprintf(stderr, "%s\n", valid.ToString().c_str());
    return 2;
  }

  cv::setNumThreads(1);
  cv::dnn::Net net;
  if (!c.model.empty()) {
    try {
      net = cv::dnn::readNetFromONNX(c.model);
    } catch (const cv::Exception& e) {
      std::fprintf(stderr, "model '%s': cannot be loaded: %s\n", c.model.c_str(), e.what());
      return 1;
    }
  }
  cv::dnn::Net* detector = c.model.empty() ? nullptr : &net;
  if (detector != nullptr) {
    // The first forward pass sets the network up; keep it out of the figures.
    cv::Mat warm(c.height, c.width, CV_8UC3, cv::Scalar::all(100));
    detector->setInput(cv::dnn::blobFromImage(warm, 1.0, cv::Size(c.model_size, c.model_size)));
    detector->forward();
  }

  auto idle = RunMode(c, /*active=*/false, nullptr);
  auto active = RunMode(c, /*active=*/true, detector);
  if (!idle.ok() || !active.ok()) {
    std::fprintf(stderr, "%s\n", (!idle.ok() ? idle.status() : active.status()).ToString().c_str());
    return 1;
  }
  std::printf(
      "camera: synthetic empty chute %dx%d, paced at %.3g fps, noise %.3g; %.3g s per "
      "mode; detector: %s\n",
      c.width, c.height, c.camera_fps, c.noise, c.seconds,
      c.model.empty() ? "none (capture + gate only)" : c.model.c_str());
  std::printf("motion gate: %.1f us CPU per frame\n", GateMicros(c));
  std::printf("%-7s %9s %8s %10s %12s\n", "mode", "rate_fps", "frames", "detector", "cpu_%_1core");
  std::printf("%-7s %9.3g %8lld %10lld %12.2f\n", "idle", c.idle_fps,
              static_cast<long long>(idle->frames), static_cast<long long>(idle->detector_runs),
              idle->cpu_percent);
  std::printf("%-7s %9.3g %8lld %10lld %12.2f\n", "active", c.active_fps,
              static_cast<long long>(active->frames), static_cast<long long>(active->detector_runs),
              active->cpu_percent);
  std::printf("active/idle cpu ratio: %.1fx\n",
              active->cpu_percent / std::max(idle->cpu_percent, 1e-3));
  return 0;
}

}  // namespace
}  // namespace rvm

int main(int argc, char** argv) { return rvm::Main(argc, argv); }
