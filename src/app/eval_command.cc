// `rvm-edge eval`: how well a model does on a labelled folder of photos
// (YOLO layout, eval/yolo_labels.h), in the two ways that matter:
//
//  * as a detector: AP@0.5 per class, mAP@0.5 and mAP@0.5:0.95 (COCO's
//    101-point interpolation) and a confusion matrix (eval/detection_metrics.h);
//  * as the machine: for every photo holding exactly one labelled item, what
//    the service would decide, through the same label map and accept
//    thresholds ([policy]) and the same confidence threshold and tracker
//    (eval/still_decision.h). Accepted with the item's material is right;
//    everything else is wrong and listed.
//
// `--turn` turns every photo and its labels by quarter turns before the
// model sees it: the same items lying sideways or upside down, as they may
// lie in a chute.
//
// The folder's class names need not be the model's: classes are matched
// through the label map's materials (eval/class_matching.h). The detector
// runs with a near-zero confidence threshold so AP sees the whole ranking;
// the confusion matrix and the decisions use the configured threshold.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/detector_flags.h"
#include "app/option_checks.h"
#include "base/file_util.h"
#include "config/config_parser.h"
#include "config/config_validate.h"
#include "deposit/label_map.h"
#include "eval/class_matching.h"
#include "eval/detection_metrics.h"
#include "eval/still_decision.h"
#include "eval/yolo_labels.h"
#include "pipeline/pipeline_config.h"
#include "vision/decode_ahead.h"
#include "vision/image_decoder.h"

namespace rvm::app {
namespace {

// Low enough that AP sees practically every candidate box, as COCO's own
// evaluation does (0.001 with at most 100 boxes per image).
constexpr float kApConfThreshold = 0.001f;

struct EvalFlags {
  std::string config_path;
  std::string model;
  std::string labels;
  std::string cache_dir;
  std::string roi;
  int turn = 0;  // degrees clockwise: 0, 90, 180 or 270
  bool json = false;
  double min_accuracy = -1;
  std::string dir;
};

struct LabelledImage {
  std::string path;
  std::vector<eval::YoloBox> boxes;
};

struct WrongDecision {
  std::string file;
  std::string label;              // the labelled class
  std::string expected_material;  // its material
  eval::StillDecision decided;
};

Result<Config> LoadEvalConfig(const EvalFlags& f) {
  Config config;
  if (!f.config_path.empty()) {
    auto c = LoadConfig(f.config_path);
    if (!c.ok()) return c.status();
    config = std::move(c).value();
  } else {
    config.detector.model_path = DefaultModelPath();
    config.detector.cache_dir = DefaultCacheDir();
  }
  if (!f.model.empty()) config.detector.model_path = f.model;
  if (!f.labels.empty()) config.detector.labels_path = f.labels;
  if (!f.cache_dir.empty()) config.detector.cache_dir = f.cache_dir == "none" ? "" : f.cache_dir;
  if (!f.roi.empty()) {
    auto roi = ParseRoi(f.roi, "--roi");
    if (!roi.ok()) return roi.status();
    config.detector.roi = *roi;
  }
  std::vector<ConfigIssue> issues = ValidateConfig(config);
  if (!issues.empty()) {
    std::string message = "configuration after command-line overrides is invalid:";
    for (const ConfigIssue& i : issues) message += "\n  " + i.message;
    return InvalidArgument(message);
  }
  return config;
}

std::string MaterialText(const std::optional<Material>& m) {
  return m ? std::string(MaterialName(*m)) : "-";
}

std::string DecidedText(const eval::StillDecision& d) {
  if (!d.verdict) return "nothing detected";
  const Verdict& v = *d.verdict;
  std::string text = fmt::format("{} {} ({}, conf {:.2f})", v.accepted ? "ACCEPTED" : "REJECTED",
                                 v.label, MaterialText(v.material), v.confidence);
  if (!v.accepted) text += " " + std::string(RejectReasonName(v.reason));
  if (d.items > 1) text += fmt::format(", {} items seen", d.items);
  return text;
}

nlohmann::json DecidedJson(const eval::StillDecision& d) {
  if (!d.verdict) return {{"items", 0}};
  const Verdict& v = *d.verdict;
  return {{"items", d.items},
          {"accepted", v.accepted},
          {"label", v.label},
          {"material",
           v.material ? nlohmann::json(MaterialName(*v.material)) : nlohmann::json(nullptr)},
          {"confidence", std::round(v.confidence * 10000.0) / 10000.0},
          {"reason", RejectReasonName(v.reason)}};
}

std::string ApText(double ap) { return ap < 0 ? "    -" : fmt::format("{:.3f}", ap); }

int RunEval(const EvalFlags& f) {
  auto fail = [](const std::string& message, int code) {
    std::cerr << "rvm-edge eval: " << message << "\n";
    return code;
  };
  auto config = LoadEvalConfig(f);
  if (!config.ok()) return fail(config.status().message(), kExitUsage);
  auto folder = eval::FindYoloFolder(f.dir);
  if (!folder.ok()) return fail(folder.status().message(), kExitUsage);
  auto images = ExpandImageArgs({folder->images_dir});
  if (!images.ok()) return fail(images.status().message(), kExitUsage);
  if (images->empty()) return fail("no images in '" + folder->images_dir + "'", kExitUsage);

  // Every label file is read before the model loads, so a bad one is found at once.
  std::vector<LabelledImage> set;
  std::string label_problems;
  // A label file belongs to the image of the same name, whatever its extension.
  std::map<std::string, std::string> image_of_label;
  std::string shared;
  int without_labels = 0;
  const int num_classes = static_cast<int>(folder->classes.size());
  for (const std::string& image : *images) {
    LabelledImage li{image, {}};
    const std::string label_path = eval::LabelPathFor(*folder, image);
    if (auto [it, added] = image_of_label.emplace(label_path, image); !added) {
      shared += "\n  '" + it->second + "' and '" + image + "' -> '" + label_path + "'";
    }
    std::error_code ec;
    if (!std::filesystem::exists(label_path, ec)) {
      ++without_labels;  // YOLO's convention: no label file, no objects
    } else {
      auto bytes = ReadFileBytes(label_path, "label file");
      Result<std::vector<eval::YoloBox>> boxes =
          bytes.ok()
              ? eval::ParseYoloLabels(
                    std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                    label_path, num_classes)
              : Result<std::vector<eval::YoloBox>>(bytes.status());
      if (!boxes.ok()) {
        std::istringstream lines(boxes.status().message());
        for (std::string line; std::getline(lines, line);) label_problems += "\n  " + line;
      } else {
        li.boxes = std::move(boxes).value();
      }
    }
    set.push_back(std::move(li));
  }
  if (!shared.empty()) {
    return fail("images that would share one label file (rename one of each pair):" + shared,
                kExitUsage);
  }
  if (!label_problems.empty()) return fail("bad label files:" + label_problems, kExitUsage);
  if (without_labels == static_cast<int>(set.size())) {
    return fail(fmt::format("'{}' has no label file for any of the {} images (expected NAME.txt "
                            "for each image NAME.jpg)",
                            folder->labels_dir, set.size()),
                kExitUsage);
  }
  if (std::all_of(set.begin(), set.end(), [](const LabelledImage& i) { return i.boxes.empty(); })) {
    return fail("the label files in '" + folder->labels_dir +
                    "' hold no boxes: there is nothing to measure",
                kExitUsage);
  }

  auto options = DetectorOptionsFromConfig(config->detector);
  if (!options.ok()) return fail(options.status().message(), kExitUsage);
  options->post.conf_threshold = kApConfThreshold;
  auto model = DetectorModel::Load(*options);
  if (!model.ok()) return fail(model.status().message(), kExitFatal);
  for (const std::string& note : ProviderNotes(**model)) std::cerr << note << "\n";
  std::cerr << DescribeModel(**model) << "\n";
  auto label_map = LabelMap::Create((*model)->labels(), config->policy);
  if (!label_map.ok()) return fail(label_map.status().message(), kExitUsage);
  const std::vector<int> class_of =
      eval::MatchModelClasses((*model)->labels(), folder->classes, config->policy);
  for (int k = 0; k < num_classes; ++k) {
    if (std::find(class_of.begin(), class_of.end(), k) == class_of.end()) {
      std::cerr << fmt::format(
          "rvm-edge eval: warning: no model class is '{}' or has its material ({}) in the "
          "label map; its AP is 0\n",
          folder->classes[static_cast<size_t>(k)],
          MaterialText(
              eval::MaterialOfLabel(folder->classes[static_cast<size_t>(k)], config->policy)));
    }
  }
  auto detector = (*model)->NewDetector();
  if (!detector.ok()) return fail(detector.status().message(), kExitFatal);

  const double service_conf = config->detector.conf_threshold;
  eval::DetectionEvaluator evaluator(num_classes, service_conf);
  std::vector<std::pair<std::string, std::string>> failed;
  int single_item = 0, judged = 0, right = 0;
  std::vector<WrongDecision> wrong;
  int boxes_total = 0;

  Detector& det = **detector;
  DecodeAhead ahead(
      [&set](int64_t i, std::vector<uint8_t>& bytes, std::string& name) {
        name = set[static_cast<size_t>(i)].path;
        return ReadFileInto(name, bytes, "image");
      },
      static_cast<int64_t>(set.size()), det.decode_target(), options->max_image_pixels);
  DetectionResult result;
  const int quarters = f.turn / 90;
  // The turn as the EXIF orientation that asks for it: 6 clockwise, 3 upside down, 8 anticlockwise.
  constexpr int kOrientationOfQuarters[] = {1, 6, 3, 8};
  const int orientation = kOrientationOfQuarters[quarters];
  cv::Mat turned_pixels;
  DecodedImage turned;
  for (const LabelledImage& image : set) {
    const DecodedImage* decoded = nullptr;
    Status s = ahead.Next(&decoded);
    if (s.ok() && quarters != 0) {
      turned = Oriented(*decoded, orientation, turned_pixels);
      decoded = &turned;
    }
    if (s.ok()) s = det.DetectDecoded(*decoded, result);
    ahead.Release();
    if (!s.ok()) {
      std::cerr << "rvm-edge eval: skipped: " << s.message() << "\n";
      failed.emplace_back(image.path, s.message());
      continue;
    }
    std::vector<eval::GroundTruth> truth;
    for (const eval::YoloBox& b : image.boxes) {
      truth.push_back({b.class_id, b.Turned(quarters).ToPixels(result.width, result.height)});
    }
    boxes_total += static_cast<int>(truth.size());
    Detections mapped = result.detections;
    for (Detection& d : mapped) {
      d.class_id = d.class_id >= 0 && d.class_id < static_cast<int>(class_of.size())
                       ? class_of[static_cast<size_t>(d.class_id)]
                       : eval::kNoClass;
    }
    evaluator.AddImage(truth, mapped);

    if (image.boxes.size() != 1) continue;
    ++single_item;
    const std::string& label = folder->classes[static_cast<size_t>(image.boxes[0].class_id)];
    const std::optional<Material> expected = eval::MaterialOfLabel(label, config->policy);
    if (!expected) continue;  // the label map cannot say what is right
    ++judged;
    Detections confident;
    for (const Detection& d : result.detections) {
      if (d.score >= service_conf) confident.push_back(d);
    }
    eval::StillDecision decided =
        eval::DecideStill(confident, *label_map, config->tracker, config->policy);
    if (decided.verdict && decided.verdict->accepted && decided.verdict->material == expected) {
      ++right;
    } else {
      wrong.push_back({image.path, label, std::string(MaterialName(*expected)), decided});
    }
  }

  const eval::DetectionMetrics metrics = evaluator.Compute();
  const eval::ConfusionMatrix& confusion = evaluator.confusion();
  const double accuracy = judged > 0 ? static_cast<double>(right) / judged : 0.0;
  const int evaluated = static_cast<int>(set.size() - failed.size());
  if (evaluated == 0) {
    return fail(fmt::format("none of the {} images could be read: nothing measured", set.size()),
                kExitFailure);
  }

  std::vector<std::string> rows = folder->classes, columns = folder->classes;
  rows.push_back("background");
  columns.push_back("other");
  columns.push_back("missed");

  if (f.json) {
    auto r4 = [](double v) {
      return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(std::round(v * 10000.0) / 10000.0);
    };
    nlohmann::json classes = nlohmann::json::array();
    for (int k = 0; k < num_classes; ++k) {
      const eval::ClassMetrics& c = metrics.classes[static_cast<size_t>(k)];
      classes.push_back({{"name", folder->classes[static_cast<size_t>(k)]},
                         {"boxes", c.ground_truth},
                         {"detections", c.detections},
                         {"ap50", r4(c.ap50)},
                         {"ap50_95", r4(c.ap50_95)}});
    }
    nlohmann::json cells = nlohmann::json::array();
    for (size_t r = 0; r < rows.size(); ++r) {
      nlohmann::json row = nlohmann::json::array();
      for (size_t c = 0; c < columns.size(); ++c) {
        row.push_back(confusion.at(static_cast<int>(r), static_cast<int>(c)));
      }
      cells.push_back(row);
    }
    nlohmann::json wrong_json = nlohmann::json::array();
    for (const WrongDecision& w : wrong) {
      wrong_json.push_back({{"file", w.file},
                            {"label", w.label},
                            {"expected_material", w.expected_material},
                            {"decided", DecidedJson(w.decided)}});
    }
    nlohmann::json failed_json = nlohmann::json::array();
    for (const auto& [file, error] : failed)
      failed_json.push_back({{"file", file}, {"error", error}});
    nlohmann::json out = {{"dir", f.dir},
                          {"model", config->detector.model_path},
                          {"turn", f.turn},
                          {"roi",
                           {config->detector.roi.x0, config->detector.roi.y0,
                            config->detector.roi.x1, config->detector.roi.y1}},
                          {"images", set.size()},
                          {"evaluated", evaluated},
                          {"failed", failed_json},
                          {"without_label_file", without_labels},
                          {"boxes", boxes_total},
                          {"classes", classes},
                          {"map50", r4(metrics.map50)},
                          {"map50_95", r4(metrics.map50_95)},
                          {"confusion",
                           {{"iou", 0.5},
                            {"conf_threshold", service_conf},
                            {"rows", rows},
                            {"columns", columns},
                            {"cells", cells}}},
                          {"decisions",
                           {{"single_item_images", single_item},
                            {"judged", judged},
                            {"right", right},
                            {"accuracy", r4(accuracy)},
                            {"wrong", wrong_json}}}};
    std::cout << out.dump() << "\n";
  } else {
    std::cout << fmt::format(
        "{}: {} images evaluated ({} unreadable, {} without a label file), {} labelled "
        "boxes{}{}\n\n",
        f.dir, evaluated, failed.size(), without_labels, boxes_total,
        f.turn == 0 ? "" : fmt::format(", each turned {} degrees clockwise", f.turn),
        config->detector.roi.whole_frame()
            ? ""
            : ", region of interest " + RoiText(config->detector.roi));
    std::cout << fmt::format("{:<16} {:>6} {:>10} {:>8} {:>12}\n", "class", "boxes", "detections",
                             "AP@0.5", "AP@0.5:0.95");
    for (int k = 0; k < num_classes; ++k) {
      const eval::ClassMetrics& c = metrics.classes[static_cast<size_t>(k)];
      std::cout << fmt::format("{:<16} {:>6} {:>10} {:>8} {:>12}\n",
                               folder->classes[static_cast<size_t>(k)], c.ground_truth,
                               c.detections, ApText(c.ap50), ApText(c.ap50_95));
    }
    std::cout << fmt::format("{:<16} {:>6} {:>10} {:>8} {:>12}\n\n", "mAP", "", "",
                             ApText(metrics.map50), ApText(metrics.map50_95));
    std::cout << fmt::format(
        "confusion matrix (IoU >= 0.5, score >= {:.2f}): rows labelled, columns detected\n",
        service_conf);
    std::cout << fmt::format("{:<16}", "");
    for (const std::string& c : columns) std::cout << fmt::format(" {:>14}", c);
    std::cout << "\n";
    for (size_t r = 0; r < rows.size(); ++r) {
      std::cout << fmt::format("{:<16}", rows[r]);
      for (size_t c = 0; c < columns.size(); ++c) {
        const bool empty_cell = r + 1 == rows.size() && c + 1 == columns.size();
        std::cout << fmt::format(
            " {:>14}",
            empty_cell ? ""
                       : std::to_string(confusion.at(static_cast<int>(r), static_cast<int>(c))));
      }
      std::cout << "\n";
    }
    std::cout << fmt::format(
        "\ndecisions on single-item images (the service's label map and accept thresholds): "
        "{} right of {} ({:.1f}%)",
        right, judged, 100.0 * accuracy);
    if (judged < single_item) {
      std::cout << fmt::format("; {} not judged (label not in the label map)",
                               single_item - judged);
    }
    std::cout << "\n";
    for (const WrongDecision& w : wrong) {
      std::cout << fmt::format("  wrong: {}  labelled {} ({}): {}\n", w.file, w.label,
                               w.expected_material, DecidedText(w.decided));
    }
  }
  std::cout.flush();
  if (!failed.empty()) {
    std::cerr << fmt::format("rvm-edge eval: {} unreadable image{} skipped\n", failed.size(),
                             failed.size() == 1 ? "" : "s");
  }
  if (f.min_accuracy >= 0) {
    if (judged == 0) return fail("no single-item images to judge the accuracy on", kExitFailure);
    if (accuracy < f.min_accuracy) {
      return fail(fmt::format("decision accuracy {:.4f} is below --min-accuracy {:.4f}", accuracy,
                              f.min_accuracy),
                  kExitFailure);
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterEvalCommand(CLI::App& root, CommandAction& action) {
  auto f = std::make_shared<EvalFlags>();
  CLI::App* cmd = root.add_subcommand(
      "eval", "Measure a model on a labelled folder (images/, labels/, classes.txt)");
  cmd->add_option("--config", f->config_path,
                  "Configuration file whose [detector], [tracker] and [policy] apply "
                  "(default: the built-in defaults)");
  cmd->add_option("--model", f->model, "ONNX detection model (default: the configuration's)");
  cmd->add_option("--labels", f->labels, "Model labels file, one name per line");
  cmd->add_option("--cache-dir", f->cache_dir, "Optimized-model cache directory ('none' disables)");
  cmd->add_option("--roi", f->roi,
                  "Region of interest x0,y0,x1,y1 (fractions of the image; default the "
                  "configuration's detector.roi)");
  cmd->add_option("--turn", f->turn,
                  "Turn every photo and its labels clockwise by 0, 90, 180 or 270 degrees before "
                  "detection (items lying sideways or upside down)")
      ->check(OneOf({0, 90, 180, 270}));
  cmd->add_flag("--json", f->json, "One JSON object instead of the report");
  cmd->add_option("--min-accuracy", f->min_accuracy,
                  "Exit 1 when the single-item decision accuracy is below this, [0, 1]")
      ->check(NumberIn(0, 1));
  cmd->add_option("dir", f->dir, "Folder with images/, labels/ and classes.txt")->required();
  cmd->callback([f, &action] { action = [f] { return RunEval(*f); }; });
}

}  // namespace rvm::app
