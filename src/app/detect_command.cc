// `rvm-edge detect`: detections for images and directories of images, as
// JSON lines or a readable table, optionally writing annotated copies. The
// next image is read and decoded while the current one is detected.
#include <opencv2/imgcodecs.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/detector_flags.h"
#include "base/file_util.h"
#include "vision/annotate.h"
#include "vision/decode_ahead.h"

namespace rvm::app {
namespace {

struct DetectFlags {
  DetectorFlags detector;
  std::string annotate_dir;
  bool json = false;
  std::vector<std::string> inputs;
};

nlohmann::json ToJson(const std::string& file, const DetectionResult& r, const DetectorModel& m) {
  nlohmann::json dets = nlohmann::json::array();
  for (const Detection& d : r.detections) {
    auto round1 = [](float v) { return std::round(static_cast<double>(v) * 10.0) / 10.0; };
    dets.push_back(
        {{"class_id", d.class_id},
         {"label", m.label(d.class_id)},
         {"score", std::round(static_cast<double>(d.score) * 10000.0) / 10000.0},
         {"box", {round1(d.box.x1), round1(d.box.y1), round1(d.box.x2), round1(d.box.y2)}}});
  }
  auto ms = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  const StageTimings& t = r.timings;
  return {{"file", file},
          {"width", r.width},
          {"height", r.height},
          {"detections", dets},
          {"timings_ms",
           {{"read", ms(t.read_ms)},
            {"decode", ms(t.decode_ms)},
            {"preprocess", ms(t.preprocess_ms)},
            {"inference", ms(t.inference_ms)},
            {"postprocess", ms(t.postprocess_ms)},
            {"total", ms(t.total_ms())}}}};
}

void PrintTable(const std::string& file, const DetectionResult& r, const DetectorModel& m) {
  std::cout << fmt::format(
      "{}  {}x{}  {} detection{}  {:.1f} ms (decode {:.1f}, pre {:.1f}, infer {:.1f}, post "
      "{:.2f})\n",
      file, r.width, r.height, r.detections.size(), r.detections.size() == 1 ? "" : "s",
      r.timings.total_ms(), r.timings.decode_ms, r.timings.preprocess_ms, r.timings.inference_ms,
      r.timings.postprocess_ms);
  for (const Detection& d : r.detections) {
    std::cout << fmt::format("    {:>3} {:<16} {:.3f}  ({:.0f}, {:.0f})-({:.0f}, {:.0f})\n",
                             d.class_id, m.label(d.class_id), d.score, d.box.x1, d.box.y1, d.box.x2,
                             d.box.y2);
  }
}

// Where --annotate writes the copy of each image: DIR/<file name>, as .png
// for a PNG and .jpg for anything else. Refused before any work is done when
// a copy would land on an input (the folder given is an input's own) or two
// inputs would share one copy (the same file name in two folders), so that
// no input and no annotated copy is overwritten.
Result<std::vector<std::string>> AnnotationPaths(const std::vector<std::string>& files,
                                                 const std::string& dir) {
  namespace fs = std::filesystem;
  // Inputs by device and inode: the same file however it is named (a
  // relative path, a symbolic or hard link).
  std::map<std::pair<dev_t, ino_t>, std::string> inputs;
  for (const std::string& file : files) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0) inputs.emplace(std::pair{st.st_dev, st.st_ino}, file);
  }
  std::map<std::string, std::string> taken;  // lexically normal output path -> input
  std::vector<std::string> out;
  for (const std::string& file : files) {
    fs::path path = fs::path(dir) / fs::path(file).filename();
    if (path.extension() != ".png") path.replace_extension(".jpg");
    const std::string name = path.string();
    struct stat st {};
    if (::stat(name.c_str(), &st) == 0) {
      if (auto it = inputs.find({st.st_dev, st.st_ino}); it != inputs.end()) {
        return InvalidArgument("--annotate " + dir + ": the annotated copy of '" + file +
                               "' would overwrite the input '" + it->second +
                               "'; write the copies to another folder");
      }
    }
    auto [it, fresh] = taken.emplace(path.lexically_normal().string(), file);
    if (!fresh) {
      return InvalidArgument("--annotate " + dir + ": '" + it->second + "' and '" + file +
                             "' would both be annotated as '" + name +
                             "'; annotate them in separate runs or rename one");
    }
    out.push_back(name);
  }
  return out;
}

Status Annotate(const std::string& file, const DetectionResult& r, const DetectorModel& m,
                const std::string& out) {
  cv::Mat img = cv::imread(file, cv::IMREAD_COLOR);
  if (img.empty()) return InvalidArgument("image '" + file + "': cannot re-read for annotation");
  DrawDetections(img, r.detections, m.labels());
  if (!cv::imwrite(out, img)) return IoError("annotated image '" + out + "': cannot write");
  return Status::Ok();
}

int RunDetect(const DetectFlags& f) {
  auto options = ToDetectorOptions(f.detector);
  if (!options.ok()) {
    std::cerr << "rvm-edge detect: " << options.status().message() << "\n";
    return kExitUsage;
  }
  auto images = ExpandImageArgs(f.inputs);
  if (!images.ok()) {
    std::cerr << "rvm-edge detect: " << images.status().message() << "\n";
    return kExitUsage;
  }
  if (images->empty()) {
    std::cerr << "rvm-edge detect: no images found in the given paths\n";
    return kExitUsage;
  }
  std::vector<std::string> annotated;
  if (!f.annotate_dir.empty()) {
    auto paths = AnnotationPaths(*images, f.annotate_dir);
    if (!paths.ok()) {
      std::cerr << "rvm-edge detect: " << paths.status().message() << "\n";
      return kExitUsage;
    }
    annotated = std::move(paths).value();
    if (Status s = CreateDirectories(f.annotate_dir); !s.ok()) {
      std::cerr << "rvm-edge detect: " << s.message() << "\n";
      return kExitUsage;
    }
  }
  auto model = DetectorModel::Load(*options);
  if (!model.ok()) {
    std::cerr << "rvm-edge detect: " << model.status().message() << "\n";
    return kExitFatal;
  }
  for (const std::string& note : ProviderNotes(**model)) std::cerr << note << "\n";
  std::cerr << DescribeModel(**model) << "\n";
  auto detector = (*model)->NewDetector();
  if (!detector.ok()) {
    std::cerr << "rvm-edge detect: " << detector.status().message() << "\n";
    return kExitFatal;
  }
  // The next image is read and decoded on a second thread while the current
  // one goes through the detector; results still come out in order.
  Detector& det = **detector;
  const std::vector<std::string>& files = *images;
  DecodeAhead ahead(
      [&files](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
        name = files[static_cast<size_t>(i)];
        return ReadFileInto(name, bytes, "image");
      },
      static_cast<int64_t>(files.size()), det.decode_target(), options->max_image_pixels);
  int failed = 0;
  DetectionResult result;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& file = files[i];
    const DecodedImage* image = nullptr;
    DecodeAhead::Timing timing;
    Status s = ahead.Next(&image, &timing);
    if (s.ok()) s = det.DetectDecoded(*image, result);
    ahead.Release();
    if (!s.ok()) {
      ++failed;
      if (f.json) {
        std::cout << nlohmann::json{{"file", file}, {"error", s.message()}}.dump() << "\n";
      } else {
        std::cout << file << "  ERROR: " << s.message() << "\n";
      }
      continue;
    }
    result.timings.read_ms = timing.source_ms;
    result.timings.decode_ms = timing.decode_ms;
    if (f.json) {
      std::cout << ToJson(file, result, **model).dump() << "\n";
    } else {
      PrintTable(file, result, **model);
    }
    if (!f.annotate_dir.empty()) {
      if (Status a = Annotate(file, result, **model, annotated[i]); !a.ok()) {
        std::cerr << "rvm-edge detect: " << a.message() << "\n";
        ++failed;
      }
    }
  }
  std::cout.flush();
  std::cerr << fmt::format("{} image{}, {} failed\n", images->size(),
                           images->size() == 1 ? "" : "s", failed);
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void RegisterDetectCommand(CLI::App& root, CommandAction& action) {
  auto f = std::make_shared<DetectFlags>();
  CLI::App* cmd = root.add_subcommand("detect", "Detect objects in images");
  AddDetectorFlags(*cmd, f->detector);
  cmd->add_option("--annotate", f->annotate_dir,
                  "Write annotated copies of the images into this folder, named after each "
                  "image's file name (.png for PNGs, else .jpg); refused when a copy would "
                  "overwrite an input or two inputs share a file name");
  cmd->add_flag("--json", f->json, "One JSON object per image instead of a table");
  cmd->add_option("images", f->inputs, "Image files or directories")->required();
  cmd->callback([f, &action] { action = [f] { return RunDetect(*f); }; });
}

}  // namespace rvm::app
