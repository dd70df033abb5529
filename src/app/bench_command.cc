// `rvm-edge bench`: measures, in one run and interleaved so machine noise hits
// both alike, (a) bare inference on a prepared tensor and (b) the full
// per-image path from JPEG bytes to final detections, twice: one image at a
// time (the latency of one image, stage by stage) and as a stream, with the
// next image decoded on a second thread while the current one goes through
// the detector (the per-image cost when images keep coming, which is how the
// service's pipeline runs: capture and decoding beside detection).
//
// The benchmark runs in its own executable, rvm-edge-bench, built beside
// rvm-edge from this file: it links the detection core (vision, inference)
// and nothing else, so its peak RSS is the detection core's and not that of
// every module's libraries (OpenCV videoio with ffmpeg and GStreamer for the
// capture sources, the quantizer's ONNX/protobuf, SQLite for the outbox).
// `rvm-edge bench ...` re-executes as `rvm-edge-bench bench ...`.
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/detector_flags.h"
#include "app/option_checks.h"
#include "base/file_util.h"
#include "base/process_stats.h"
#include "base/sample_stats.h"
#include "vision/decode_ahead.h"

namespace rvm::app {
namespace {

struct BenchFlags {
  DetectorFlags detector;
  int iterations = 300;
  int warmup = 20;
  bool json = false;
  std::vector<std::string> inputs;
  std::string compare_model;  // a second model: bare inference of both, side by side
};

double Ms(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

nlohmann::json SummaryJson(const SampleSummary& s) {
  auto r = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  return {{"median", r(s.median)}, {"p90", r(s.p90)}, {"p99", r(s.p99)}, {"mean", r(s.mean)}};
}

// Loads the model twice through a private cache directory: the first load
// optimizes and stores the graph (cold), the second loads the stored graph.
struct LoadTimes {
  double cold_ms = 0, cached_ms = 0;
  std::string cached_state;
};

Result<LoadTimes> MeasureLoadTimes(DetectorOptions options) {
  if (options.engine.backend != "ort") return LoadTimes{};
  char tmpl[] = "/tmp/rvm-bench-cache-XXXXXX";
  if (!::mkdtemp(tmpl)) return IoError("cannot create a temporary cache directory");
  options.engine.cache_dir = tmpl;
  LoadTimes t;
  {
    auto cold = DetectorModel::Load(options);
    if (!cold.ok()) return cold.status();
    t.cold_ms = (*cold)->info().load_ms;
  }
  {
    auto cached = DetectorModel::Load(options);
    if (!cached.ok()) return cached.status();
    t.cached_ms = (*cached)->info().load_ms;
    t.cached_state = (*cached)->info().cache;
  }
  std::filesystem::remove_all(tmpl);
  return t;
}

// The full path as a stream, in blocks that alternate with blocks of bare
// inference so that noise hits both alike: a DecodeAhead decodes image i+1
// while image i is preprocessed, inferred and postprocessed. The per-image
// figure is the time between consecutive results; each block's first result
// only starts the clock (its image was decoded while nothing else ran), and
// the decoder is idle during the bare blocks. `progress(n)` after each block.
Status MeasureStream(Detector& det, const std::vector<const std::string*>& images, int iterations,
                     int warmup, std::vector<double>& bare, std::vector<double>& stream,
                     const std::function<void(int)>& progress) {
  constexpr int kBlock = 20;
  const int warm_blocks = (warmup + kBlock - 1) / kBlock;
  const int blocks = warm_blocks + (iterations + kBlock - 1) / kBlock;
  DecodeAhead ahead(
      [&](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
        name = *images[static_cast<size_t>(i % static_cast<int64_t>(images.size()))];
        return ReadFileInto(name, bytes, "image");
      },
      int64_t{blocks} * (kBlock + 1), det.decode_target(), det.model().options().max_image_pixels);
  DetectionResult result;
  int measured = 0;
  for (int b = 0; b < blocks; ++b) {
    const bool keep = b >= warm_blocks;
    const int n = keep ? std::min(kBlock, iterations - measured) : kBlock;
    ahead.WaitUntilIdle();
    for (int i = 0; i < n; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      RVM_RETURN_IF_ERROR(det.InferOnly());
      if (keep) bare.push_back(Ms(t0, std::chrono::steady_clock::now()));
    }
    auto last = std::chrono::steady_clock::now();
    for (int i = 0; i <= n; ++i) {
      const DecodedImage* image = nullptr;
      Status s = ahead.Next(&image);
      if (s.ok()) s = det.DetectDecoded(*image, result);
      ahead.Release();
      RVM_RETURN_IF_ERROR(s);
      const auto now = std::chrono::steady_clock::now();
      if (keep && i > 0) stream.push_back(Ms(last, now));
      last = now;
    }
    if (keep) {
      measured += n;
      progress(measured);
    }
  }
  return Status::Ok();
}

// Bare inference of two models (e.g. FP32 and its INT8 version) on the same
// prepared image, alternating one call of each so machine noise hits both alike.
int RunCompare(const BenchFlags& f, const DetectorOptions& options,
               const std::vector<std::string>& images) {
  DetectorOptions other = options;
  other.engine.model_path = f.compare_model;
  std::shared_ptr<DetectorModel> models[2];
  std::unique_ptr<Detector> detectors[2];
  const DetectorOptions* opts[2] = {&options, &other};
  for (int m = 0; m < 2; ++m) {
    auto model = DetectorModel::Load(*opts[m]);
    if (!model.ok()) {
      std::cerr << "rvm-edge bench: " << model.status().message() << "\n";
      return kExitFatal;
    }
    models[m] = *model;
    auto det = models[m]->NewDetector();
    if (!det.ok()) {
      std::cerr << "rvm-edge bench: " << det.status().message() << "\n";
      return kExitFatal;
    }
    detectors[m] = std::move(*det);
    if (!f.json) {
      for (const std::string& note : ProviderNotes(*models[m])) std::cerr << note << "\n";
      std::cerr << DescribeModel(*models[m]) << "\n";
    }
    // Fill the input tensor with a real image.
    DetectionResult result;
    Status s = Status::Ok();
    for (const std::string& path : images) {
      s = detectors[m]->DetectFile(path, result);
      if (s.ok()) break;
    }
    if (!s.ok()) {
      std::cerr << "rvm-edge bench: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  std::vector<double> samples[2];
  for (int i = 0; i < f.warmup + f.iterations; ++i) {
    for (int m = 0; m < 2; ++m) {
      const int k = (i % 2 == 0) ? m : 1 - m;  // alternate which model goes first
      auto t0 = std::chrono::steady_clock::now();
      Status s = detectors[k]->InferOnly();
      auto t1 = std::chrono::steady_clock::now();
      if (!s.ok()) {
        std::cerr << "rvm-edge bench: " << s.message() << "\n";
        return kExitFatal;
      }
      if (i >= f.warmup) samples[k].push_back(Ms(t0, t1));
    }
  }
  const SampleSummary a = Summarize(samples[0]), b = Summarize(samples[1]);
  const double speedup = b.median > 0 ? a.median / b.median : 0;
  if (f.json) {
    auto r = [](double v) { return std::round(v * 1000) / 1000; };
    nlohmann::json j = {
        {"threads", options.engine.threads},
        {"iterations", f.iterations},
        {"models",
         {{{"model", models[0]->info().path},
           {"bare_ms_median", r(a.median)},
           {"bare_ms_p90", r(a.p90)}},
          {{"model", models[1]->info().path},
           {"bare_ms_median", r(b.median)},
           {"bare_ms_p90", r(b.p90)}}}},
        {"speedup", r(speedup)},
    };
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("bare inference, {} iterations each after {} warm-up, {} thread{}\n",
                           f.iterations, f.warmup, options.engine.threads,
                           options.engine.threads == 1 ? "" : "s");
  std::cout << fmt::format("{:<50}{:>10}{:>10}\n", "model", "median", "p90");
  std::cout << fmt::format("{:<50}{:>10.3f}{:>10.3f}\n", models[0]->info().path, a.median, a.p90);
  std::cout << fmt::format("{:<50}{:>10.3f}{:>10.3f}\n", models[1]->info().path, b.median, b.p90);
  std::cout << fmt::format("speedup of the second model (median): {:.3f}x\n", speedup);
  return kExitOk;
}

int RunBench(const BenchFlags& f) {
  auto options = ToDetectorOptions(f.detector);
  if (!options.ok()) {
    std::cerr << "rvm-edge bench: " << options.status().message() << "\n";
    return kExitUsage;
  }
  auto paths = ExpandImageArgs(f.inputs);
  if (!paths.ok()) {
    std::cerr << "rvm-edge bench: " << paths.status().message() << "\n";
    return kExitUsage;
  }
  // Images stay on disk and are read, outside the timed sections, into one
  // reused buffer when their turn comes: holding a whole image set in memory
  // would add its size (7 MB for the dev set) to the peak RSS being measured.
  std::vector<std::string> images;
  std::vector<uint8_t> bytes;
  for (const std::string& p : *paths) {
    Status s = ReadFileInto(p, bytes, "image");
    if (!s.ok()) {
      std::cerr << "rvm-edge bench: skipping " << s.message() << "\n";
      continue;
    }
    images.push_back(p);
  }
  if (images.empty()) {
    std::cerr << "rvm-edge bench: no readable images\n";
    return kExitUsage;
  }
  if (!f.compare_model.empty()) return RunCompare(f, *options, images);
  auto model = DetectorModel::Load(*options);
  if (!model.ok()) {
    std::cerr << "rvm-edge bench: " << model.status().message() << "\n";
    return kExitFatal;
  }
  auto detector = (*model)->NewDetector();
  if (!detector.ok()) {
    std::cerr << "rvm-edge bench: " << detector.status().message() << "\n";
    return kExitFatal;
  }
  Detector& det = **detector;
  if (!f.json) {
    for (const std::string& note : ProviderNotes(**model)) std::cerr << note << "\n";
    std::cerr << DescribeModel(**model) << "\n";
  }

  // Reject undecodable images up front so every iteration measures real work.
  DetectionResult result;
  std::vector<const std::string*> usable;
  for (const std::string& path : images) {
    Status s = det.DetectFile(path, result);
    if (s.ok()) {
      usable.push_back(&path);
    } else {
      std::cerr << "rvm-edge bench: skipping " << s.message() << "\n";
    }
  }
  if (usable.empty()) {
    std::cerr << "rvm-edge bench: no decodable images\n";
    return kExitUsage;
  }

  std::vector<double> bare, full, decode, pre, infer, post;
  const int total = f.warmup + f.iterations;
  double full_sum_ms = 0;
  for (int i = 0; i < total; ++i) {
    const std::string& path = *usable[i % usable.size()];
    Status s = ReadFileInto(path, bytes, "image");
    auto t0 = std::chrono::steady_clock::now();
    if (s.ok()) s = det.InferOnly();
    auto t1 = std::chrono::steady_clock::now();
    if (s.ok()) s = det.DetectEncoded(bytes.data(), bytes.size(), path, result);
    auto t2 = std::chrono::steady_clock::now();
    if (!s.ok()) {
      std::cerr << "rvm-edge bench: " << s.message() << "\n";
      return kExitFatal;
    }
    if (i < f.warmup) continue;
    bare.push_back(Ms(t0, t1));
    full.push_back(Ms(t1, t2));
    decode.push_back(result.timings.decode_ms);
    pre.push_back(result.timings.preprocess_ms);
    infer.push_back(result.timings.inference_ms);
    post.push_back(result.timings.postprocess_ms);
    const int done = i - f.warmup + 1;
    if (!f.json && (done % std::max(1, f.iterations / 10) == 0 || done == f.iterations)) {
      std::cerr << fmt::format("\rbench: {}/{} images one at a time", done, f.iterations)
                << std::flush;
    }
  }
  if (!f.json) std::cerr << "\n";
  std::vector<double> stream, stream_bare;
  const Status stream_status =
      MeasureStream(det, usable, f.iterations, f.warmup, stream_bare, stream, [&](int done) {
        if (!f.json) {
          std::cerr << fmt::format("\rbench: {}/{} images as a stream", done, f.iterations)
                    << std::flush;
        }
      });
  if (!stream_status.ok()) {
    std::cerr << "\nrvm-edge bench: " << stream_status.message() << "\n";
    return kExitFatal;
  }
  if (!f.json) std::cerr << "\n";

  const ModelInfo info = (*model)->info();
  const std::string family = ModelFamilyName((*model)->layout().family);
  // Cold and cached load times are measured after the main loop, with the
  // benchmarked model released first, so the two extra sessions do not stack
  // on top of it in the peak RSS figure.
  detector->reset();
  model->reset();
  ::malloc_trim(0);
  auto load_times = MeasureLoadTimes(*options);
  if (!load_times.ok()) {
    std::cerr << "rvm-edge bench: " << load_times.status().message() << "\n";
    return kExitFatal;
  }

  for (double ms : stream) full_sum_ms += ms;
  // Each ratio against the bare inference measured beside it: the machine's
  // speed can change between the two phases.
  const SampleSummary sb = Summarize(stream_bare), sf = Summarize(stream), sl = Summarize(full),
                      slb = Summarize(bare), sd = Summarize(decode), sp = Summarize(pre),
                      si = Summarize(infer), so = Summarize(post);
  const double ratio = sb.median > 0 ? sf.median / sb.median : 0;
  const double latency_ratio = slb.median > 0 ? sl.median / slb.median : 0;
  const double images_per_s = full_sum_ms > 0 ? 1000.0 * stream.size() / full_sum_ms : 0;
  const double peak_rss_mb = ReadProcessStats().peak_rss_bytes / (1024.0 * 1024.0);
  // Which executable the peak RSS belongs to: rvm-edge-bench, or rvm-edge
  // when it could not re-execute.
  std::error_code ec;
  const std::string executable =
      std::filesystem::read_symlink("/proc/self/exe", ec).filename().string();

  if (f.json) {
    nlohmann::json j = {
        {"model", info.path},
        {"family", family},
        {"backend", info.backend},
        {"execution_provider", info.execution_provider()},
        {"execution_providers", info.execution_providers},
        {"provider_notes", info.provider_notes},
        {"threads", options->engine.threads},
        {"input", {info.input_width, info.input_height}},
        {"images", usable.size()},
        {"iterations", f.iterations},
        {"bare_ms_median", std::round(sb.median * 1000) / 1000},
        {"bare_ms_p90", std::round(sb.p90 * 1000) / 1000},
        {"bare_ms_p99", std::round(sb.p99 * 1000) / 1000},
        {"full_ms_median", std::round(sf.median * 1000) / 1000},
        {"full_ms_p90", std::round(sf.p90 * 1000) / 1000},
        {"full_ms_p99", std::round(sf.p99 * 1000) / 1000},
        {"ratio", std::round(ratio * 1000) / 1000},
        {"latency_ms_median", std::round(sl.median * 1000) / 1000},
        {"latency_ms_p90", std::round(sl.p90 * 1000) / 1000},
        {"latency_ms_p99", std::round(sl.p99 * 1000) / 1000},
        {"latency_bare_ms_median", std::round(slb.median * 1000) / 1000},
        {"latency_ratio", std::round(latency_ratio * 1000) / 1000},
        {"images_per_s", std::round(images_per_s * 10) / 10},
        {"peak_rss_mb", std::round(peak_rss_mb * 10) / 10},
        {"executable", executable},
        {"stages",
         {{"decode", SummaryJson(sd)},
          {"preprocess", SummaryJson(sp)},
          {"inference", SummaryJson(si)},
          {"postprocess", SummaryJson(so)}}},
        {"load_cold_ms", std::round(load_times->cold_ms * 10) / 10},
        {"load_cached_ms", std::round(load_times->cached_ms * 10) / 10},
    };
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << fmt::format(
      "{} images, {} iterations after {} warm-up, {} thread{}, backend {} on {}\n", usable.size(),
      f.iterations, f.warmup, options->engine.threads, options->engine.threads == 1 ? "" : "s",
      info.backend, info.execution_provider());
  std::cout << fmt::format("{:<38}{:>9}{:>9}{:>9}\n", "(ms)", "median", "p90", "p99");
  auto row = [](const char* name, const SampleSummary& s) {
    std::cout << fmt::format("{:<38}{:>9.3f}{:>9.3f}{:>9.3f}\n", name, s.median, s.p90, s.p99);
  };
  std::cout << "one image at a time, interleaved with bare inference:\n";
  row("  full per-image path (latency)", sl);
  row("    decode (JPEG)", sd);
  row("    preprocess", sp);
  row("    inference", si);
  row("    postprocess", so);
  row("  bare inference", slb);
  std::cout << "a stream (next image decoded meanwhile), in blocks alternating with bare:\n";
  row("  full per-image path", sf);
  row("  bare inference", sb);
  std::cout << fmt::format("full/bare ratio (median): {:.3f} as a stream, {:.3f} one at a time\n",
                           ratio, latency_ratio);
  std::cout << fmt::format("throughput (full path):   {:.1f} images/s\n", images_per_s);
  std::cout << fmt::format("peak RSS:                 {:.1f} MB ({})\n", peak_rss_mb, executable);
  if (info.backend == "ort") {
    std::cout << fmt::format(
        "model load:               {:.1f} ms cold (optimize + store), {:.1f} ms from cache ({})\n",
        load_times->cold_ms, load_times->cached_ms, load_times->cached_state);
  }
  return kExitOk;
}

#ifndef RVM_BENCH_EXECUTABLE
// Replaces this process with rvm-edge-bench (same directory as this
// executable) and the same arguments. Returns only on failure.
Status ExecBenchExecutable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return IoError("cannot find this executable: " + ec.message());
  const std::string bench = (self.parent_path() / "rvm-edge-bench").string();
  if (::access(bench.c_str(), X_OK) != 0) {
    return NotFound("'" + bench + "': " + std::strerror(errno));
  }
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string cmdline{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  std::vector<std::string> args;
  for (size_t start = 0; start < cmdline.size();) {
    const size_t end = cmdline.find('\0', start);
    args.push_back(cmdline.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (args.empty()) return IoError("cannot read this process's arguments");
  args[0] = bench;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  ::execv(bench.c_str(), argv.data());
  return IoError("cannot run '" + bench + "': " + std::strerror(errno));
}
#endif

}  // namespace

void RegisterBenchCommand(CLI::App& root, CommandAction& action) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* cmd =
      root.add_subcommand("bench", "Benchmark bare inference against the full per-image path");
  AddDetectorFlags(*cmd, f->detector);
  cmd->add_option("--iterations", f->iterations, "Measured iterations")
      ->check(NumberIn(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--warmup", f->warmup, "Unmeasured iterations first")
      ->check(NumberIn(0, 100000))
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "Print one JSON summary object");
  cmd->add_option("--compare-model", f->compare_model,
                  "Second model: bare inference of both, interleaved, side by side");
  f->inputs = {std::string(RVM_DEFAULT_SHARED_DIR) + "/images/dev/images"};
  cmd->add_option("images", f->inputs,
                  "Image files or directories (default: the shared dev images)");
  cmd->callback([f, &action] {
    action = [f] {
#ifndef RVM_BENCH_EXECUTABLE
      const Status s = ExecBenchExecutable();
      std::cerr << "rvm-edge bench: " << s.message()
                << "; benchmarking in this process instead (its peak RSS includes the"
                   " libraries of every module)\n";
#endif
      return RunBench(*f);
    };
  });
}

}  // namespace rvm::app
