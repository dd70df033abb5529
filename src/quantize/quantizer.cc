#include "quantize/quantizer.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "base/file_util.h"
#include "base/sample_stats.h"
#include "base/sha256.h"
#include "inference/detector.h"
#include "quantize/accuracy.h"
#include "quantize/calibrator.h"
#include "quantize/onnx_model.h"
#include "vision/labels.h"

namespace rvm::quantize {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

// Fails early, before minutes of calibration, when `path` cannot be written.
Status CheckWritable(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return InvalidArgument("output path '" + path + "' is a directory");
  }
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    return InvalidArgument("cannot write output '" + path + "': directory '" + parent.string() +
                           "' does not exist");
  }
  if (::access(parent.c_str(), W_OK) != 0) {
    return InvalidArgument("cannot write output '" + path + "': directory '" + parent.string() +
                           "' is not writable");
  }
  return Status::Ok();
}

// classes.txt in the image directory or its parent; empty when absent.
std::vector<std::string> FindClassNames(const fs::path& image_dir) {
  for (const fs::path& p : {image_dir / "classes.txt", image_dir.parent_path() / "classes.txt"}) {
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) continue;
    auto names = LoadLabelsFile(p.string());
    if (names.ok()) return *names;
  }
  return {};
}

// The YOLO label file of an image: beside it, or in ../labels/.
std::string FindLabelFile(const fs::path& image) {
  const std::string stem = image.stem().string() + ".txt";
  for (const fs::path& p :
       {image.parent_path() / stem, image.parent_path().parent_path() / "labels" / stem}) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return "";
}

Result<std::shared_ptr<DetectorModel>> LoadForEvaluation(const std::string& path,
                                                         const QuantizeOptions& o) {
  DetectorOptions d;
  d.engine.model_path = path;
  d.engine.threads = o.threads;
  d.engine.cache_dir = "";  // evaluation must not leave cache entries behind
  d.labels_path = o.labels_path;
  auto family = ParseModelFamily(o.family);
  if (!family.ok()) return family.status();
  d.family = *family;
  // Low threshold: AP needs the whole precision/recall curve; agreement
  // filters at agreement_conf itself.
  d.post.conf_threshold = std::min(0.01f, o.agreement_conf);
  d.post.max_detections = 100;
  d.allow_unverified_int8 = true;  // the model under evaluation has no report yet
  return DetectorModel::Load(d);
}

Status Evaluate(const std::vector<std::string>& images, const std::string& fp32_path,
                const std::string& int8_path, const QuantizeOptions& o, QuantizeReport& r) {
  auto fm = LoadForEvaluation(fp32_path, o);
  if (!fm.ok()) return fm.status();
  auto qm = LoadForEvaluation(int8_path, o);
  if (!qm.ok()) return Status(qm.status().code(), "quantized model: " + qm.status().message());
  auto fd = (*fm)->NewDetector();
  if (!fd.ok()) return fd.status();
  auto qd = (*qm)->NewDetector();
  if (!qd.ok()) return qd.status();

  const std::vector<std::string>& labels = (*fm)->labels();
  std::vector<Detections> f_dets, q_dets;
  std::vector<std::vector<GroundTruth>> truth;
  AgreementCount agreement;
  std::vector<int> class_map;
  fs::path class_dir;
  DetectionResult fr, qr;
  for (const std::string& path : images) {
    Status s = (*fd)->DetectFile(path, fr);
    if (!s.ok()) continue;  // unreadable images were reported by calibration/listing
    RVM_RETURN_IF_ERROR((*qd)->DetectFile(path, qr));
    r.evaluation_images.push_back(fs::path(path).filename().string());
    agreement.Add(CountAgreement(fr.detections, qr.detections, o.agreement_conf));
    const fs::path dir = fs::path(path).parent_path();
    if (dir != class_dir) {
      class_dir = dir;
      class_map = MapClassNames(FindClassNames(dir), labels);
    }
    const std::string label_file = FindLabelFile(path);
    if (class_map.empty() || label_file.empty()) continue;
    auto text = ReadFileBytes(label_file, "label file");
    if (!text.ok()) return text.status();
    auto gt = ParseYoloLabels(std::string(text->begin(), text->end()), fr.width, fr.height,
                              class_map, label_file);
    if (!gt.ok()) return gt.status();
    truth.push_back(std::move(*gt));
    f_dets.push_back(fr.detections);
    q_dets.push_back(qr.detections);
  }
  if (r.evaluation_images.empty()) return InvalidArgument("no readable evaluation images");
  r.agreement = agreement.value();
  r.agreement_matched = agreement.matched;
  r.fp32_detections = agreement.reference;
  r.int8_detections = agreement.candidate;
  r.agreement_conf = o.agreement_conf;

  for (size_t c = 0; c < labels.size(); ++c) {
    int boxes = 0;
    for (const auto& t : truth) {
      for (const auto& g : t) boxes += g.class_id == static_cast<int>(c);
    }
    if (boxes == 0) continue;
    ClassAp ap;
    ap.name = labels[c];
    ap.truth_boxes = boxes;
    ap.fp32 = AveragePrecision(static_cast<int>(c), f_dets, truth);
    ap.int8 = AveragePrecision(static_cast<int>(c), q_dets, truth);
    r.ap.push_back(ap);
  }
  if (!r.ap.empty()) {
    r.has_map = true;
    for (const ClassAp& c : r.ap) {
      r.map_fp32 += c.fp32 / r.ap.size();
      r.map_int8 += c.int8 / r.ap.size();
    }
  }
  return Status::Ok();
}

// Bare inference of both models on the same image, alternating call by call
// so machine noise hits both alike; medians in ms.
Status MeasureSpeed(const std::string& fp32_path, const std::string& int8_path,
                    const std::vector<std::string>& images, const QuantizeOptions& o,
                    QuantizeReport& r) {
  std::unique_ptr<Detector> det[2];
  std::shared_ptr<DetectorModel> models[2];
  const std::string* paths[2] = {&fp32_path, &int8_path};
  for (int m = 0; m < 2; ++m) {
    auto model = LoadForEvaluation(*paths[m], o);
    if (!model.ok()) return model.status();
    models[m] = *model;
    auto d = models[m]->NewDetector();
    if (!d.ok()) return d.status();
    det[m] = std::move(*d);
    DetectionResult result;
    Status s = InvalidArgument("no readable image to time inference on");
    for (const std::string& path : images) {
      s = det[m]->DetectFile(path, result);
      if (s.ok()) break;
    }
    RVM_RETURN_IF_ERROR(s);
  }
  std::vector<double> ms[2];
  constexpr int kWarmup = 5;
  for (int i = 0; i < kWarmup + o.speed_iterations; ++i) {
    for (int j = 0; j < 2; ++j) {
      const int m = (i % 2 == 0) ? j : 1 - j;
      const auto t0 = Clock::now();
      RVM_RETURN_IF_ERROR(det[m]->InferOnly());
      if (i >= kWarmup) {
        ms[m].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    }
  }
  r.fp32_ms_median = Summarize(ms[0]).median;
  r.int8_ms_median = Summarize(ms[1]).median;
  return Status::Ok();
}

bool PassesGate(const QuantizeReport& e, const QuantizeOptions& o) {
  return e.agreement >= o.min_agreement &&
         (!e.has_map || e.map_drop_points() <= o.max_map_drop_points);
}

// Up to n images spread evenly over `images`.
std::vector<std::string> Spread(const std::vector<std::string>& images, int n) {
  if (n <= 0 || static_cast<size_t>(n) >= images.size()) return images;
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(images[i * images.size() / n]);
  return out;
}

}  // namespace

std::vector<std::vector<std::string>> ActivationGroups(const onnx::GraphProto& graph,
                                                       const std::vector<std::string>& quantized) {
  static const std::set<std::string> kActivationOps = {
      "Sigmoid", "Mul", "Relu", "Clip", "LeakyRelu", "HardSigmoid", "HardSwish", "Tanh", "Elu"};
  std::map<std::string, std::string> parent;
  for (const std::string& t : quantized) parent[t] = t;
  std::function<std::string(const std::string&)> find = [&](const std::string& t) {
    std::string& p = parent[t];
    if (p != t) p = find(p);
    return p;
  };
  std::map<std::string, int> first_producer;  // tensor -> index of the node producing it
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& n = graph.node(i);
    for (const std::string& out : n.output()) first_producer.emplace(out, i);
    if (!kActivationOps.count(n.op_type())) continue;
    std::string root;
    for (const auto* list : {&n.input(), &n.output()}) {
      for (const std::string& t : *list) {
        if (!parent.count(t)) continue;
        if (root.empty()) {
          root = find(t);
        } else {
          parent[find(t)] = root;
        }
      }
    }
  }
  std::map<std::string, std::vector<std::string>> by_root;
  for (const std::string& t : quantized) by_root[find(t)].push_back(t);
  std::vector<std::pair<int, std::vector<std::string>>> ordered;
  for (auto& [root, tensors] : by_root) {
    int first = graph.node_size();
    for (const std::string& t : tensors) {
      auto it = first_producer.find(t);
      first = std::min(first, it == first_producer.end() ? -1 : it->second);
    }
    ordered.emplace_back(first, std::move(tensors));
  }
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::vector<std::string>> groups;
  for (auto& [first, tensors] : ordered) groups.push_back(std::move(tensors));
  return groups;
}

int DefaultWeightBits() {
#if defined(__x86_64__) || defined(__i386__)
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    const std::string padded = line + " ";
    return padded.find(" avx512_vnni ") != std::string::npos ||
                   padded.find(" avx_vnni ") != std::string::npos
               ? 8
               : 7;
  }
  return 7;
#else
  return 8;
#endif
}

Result<std::vector<std::string>> ListImages(const std::string& dir, const std::string& what) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return InvalidArgument(what + " directory '" + dir + "' does not exist or is not a directory");
  }
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp") {
      out.push_back(e.path().string());
    }
  }
  if (ec) return IoError("cannot list " + what + " directory '" + dir + "': " + ec.message());
  if (out.empty()) return InvalidArgument(what + " directory '" + dir + "' holds no images");
  std::sort(out.begin(), out.end());
  return out;
}

Result<QuantizeReport> QuantizeModel(const QuantizeOptions& o) {
  const auto start = Clock::now();
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  if (o.eval_every < 2) return InvalidArgument("eval_every must be >= 2");
  if (o.min_agreement < 0 || o.min_agreement > 1) {
    return InvalidArgument("minimum agreement must be in [0, 1]");
  }
  RVM_RETURN_IF_ERROR(CheckWritable(o.out_path));
  auto model = LoadOnnxModel(o.model_path);
  if (!model.ok()) return model.status();
  if (IsQuantizedModel(*model)) {
    return InvalidArgument("model '" + o.model_path +
                           "' is already quantized (it holds QuantizeLinear/DequantizeLinear or "
                           "integer operators)");
  }

  RVM_RETURN_IF_ERROR(UpgradeOpset(*model, 13));
  auto selection = SelectTensors(model->graph(), o.qdq);
  if (!selection.ok()) {
    return Status(selection.status().code(),
                  "model '" + o.model_path + "': " + selection.status().message());
  }
  // The detector's view of the model: input size, family, labels.
  auto fp32 = LoadForEvaluation(o.model_path, o);
  if (!fp32.ok()) return fp32.status();
  const InputSpec spec = (*fp32)->input_spec();
  // The label list travels inside the quantized model, wherever it is written.
  const std::vector<std::string> labels = (*fp32)->labels();
  fp32->reset();

  // Disjoint calibration and evaluation sets.
  auto listed = ListImages(o.calibration_dir, "calibration");
  if (!listed.ok()) return listed.status();
  std::vector<std::string> calib, eval;
  if (!o.eval_dir.empty()) {
    calib = *listed;
    auto e = ListImages(o.eval_dir, "evaluation");
    if (!e.ok()) return e.status();
    eval = *e;
    // The gate means something only on images calibration never saw.
    std::set<fs::path> calib_files;
    std::error_code ec;
    for (const std::string& c : calib) calib_files.insert(fs::weakly_canonical(c, ec));
    for (const std::string& v : eval) {
      if (calib_files.count(fs::weakly_canonical(v, ec))) {
        return InvalidArgument("evaluation image '" + v +
                               "' is also a calibration image; evaluate on images that "
                               "calibration does not see");
      }
    }
  } else {
    for (size_t i = 0; i < listed->size(); ++i) {
      ((i % o.eval_every == static_cast<size_t>(o.eval_every - 1)) ? eval : calib)
          .push_back((*listed)[i]);
    }
  }
  if (o.max_images > 0 && static_cast<int>(calib.size()) > o.max_images) {
    calib.resize(o.max_images);
  }
  if (eval.empty()) return InvalidArgument("no images left for evaluation");

  QuantizeReport r;
  r.model_path = o.out_path;
  r.fp32_model_path = o.model_path;
  auto fp32_sha = Sha256File(o.model_path, "model");
  if (!fp32_sha.ok()) return fp32_sha.status();
  r.fp32_model_sha256 = *fp32_sha;
  r.method = CalibrationMethodName(o.method);
  r.per_channel = o.qdq.per_channel;
  for (const auto& c : calib) r.calibration_images.push_back(fs::path(c).filename().string());
  r.min_agreement = o.min_agreement;
  r.max_map_drop_points = o.max_map_drop_points;

  r.quantized_tensors = selection->quantize;
  r.excluded_tensors = selection->excluded;

  say("calibrating on " + std::to_string(calib.size()) + " images, " +
      std::to_string(selection->quantize.size()) + " tensors");
  CalibrationOptions co;
  co.input = spec;
  co.threads = o.threads;
  co.min_images = o.min_calibration_images;
  // Float candidates are measured too: the noise-gain check needs the range
  // of Conv outputs that stay float.
  std::vector<std::string> measured = selection->quantize;
  if (o.max_noise_gain > 0) {
    measured.insert(measured.end(), selection->excluded.begin(), selection->excluded.end());
  }
  auto cal = Calibrate(*model, measured, calib, co);
  if (!cal.ok()) return cal.status();
  r.calibration_images_read = cal->images_read;
  r.calibration_s = cal->seconds;

  const auto rewrite_start = Clock::now();
  std::map<std::string, Range> ranges;
  for (const auto& [name, stats] : cal->stats) {
    ranges[name] = stats.ComputeRange(o.method, o.percentile);
  }
  if (o.max_noise_gain > 0) {
    std::set<std::string> drop;
    for (const auto& [t, gain] : NoiseAmplifyingInputs(model->graph(), ranges, o.max_noise_gain)) {
      if (std::find(selection->quantize.begin(), selection->quantize.end(), t) ==
          selection->quantize.end()) {
        continue;
      }
      drop.insert(t);
      say("keeping '" + t + "' in float: its quantization noise is amplified " +
          std::to_string(gain) + "x by the next convolution");
    }
    auto& q = selection->quantize;
    q.erase(std::remove_if(q.begin(), q.end(), [&](const std::string& t) { return drop.count(t); }),
            q.end());
    for (const auto& t : drop) selection->excluded.push_back(t);
    r.quantized_tensors = selection->quantize;
    r.excluded_tensors = selection->excluded;
  }
  r.weight_bits = o.qdq.weight_max >= 127 ? 8 : 7;
  // Writes the model with the first `float_groups` activation groups in float.
  const std::vector<std::vector<std::string>> groups =
      ActivationGroups(model->graph(), selection->quantize);
  r.activation_groups = static_cast<int>(groups.size());
  auto build = [&](int float_groups, const std::string& path, QuantizeReport* out) -> Status {
    TensorSelection sel = *selection;
    std::set<std::string> keep;
    for (int i = 0; i < float_groups; ++i) keep.insert(groups[i].begin(), groups[i].end());
    auto& q = sel.quantize;
    q.erase(std::remove_if(q.begin(), q.end(), [&](const std::string& t) { return keep.count(t); }),
            q.end());
    for (const std::string& t : selection->quantize) {
      if (keep.count(t)) sel.excluded.push_back(t);
    }
    onnx::ModelProto m = *model;
    auto summary = RewriteToQdq(m, sel, ranges, o.qdq);
    if (!summary.ok()) return summary.status();
    SetMetadata(m, kQuantizedMetadataKey,
                std::string("{\"method\":\"") + r.method +
                    "\",\"per_channel\":" + (r.per_channel ? "true" : "false") + "}");
    if (!labels.empty()) SetMetadata(m, "names", nlohmann::json(labels).dump());
    RVM_RETURN_IF_ERROR(CheckOnnxModel(m, "the quantized model"));
    RVM_RETURN_IF_ERROR(SaveOnnxModel(m, path));
    if (out) {
      out->quantized_tensors = sel.quantize;
      out->excluded_tensors = sel.excluded;
      out->quantized_weights = summary->weights;
      out->integer_ops = summary->integer_ops;
    }
    return Status::Ok();
  };

  int float_groups = 0;
  if (o.float_fallback && !groups.empty()) {
    // Bisection on the calibration images (never the held-out ones) for the
    // fewest leading groups in float that pass the gate there.
    const std::vector<std::string> search = Spread(calib, o.fallback_images);
    const std::string trial = o.out_path + ".trial";
    auto passes = [&](int k) -> Result<bool> {
      RVM_RETURN_IF_ERROR(build(k, trial, nullptr));
      QuantizeReport e;
      RVM_RETURN_IF_ERROR(Evaluate(search, o.model_path, trial, o, e));
      const bool ok = PassesGate(e, o);
      r.fallback_steps.push_back({k, e.agreement, e.map_drop_points(), ok});
      say(std::to_string(k) + " of " + std::to_string(groups.size()) +
          " activation groups in float: agreement " + std::to_string(e.agreement) +
          (e.has_map ? ", mAP drop " + std::to_string(e.map_drop_points()) + " points" : "") +
          " on " + std::to_string(search.size()) + " calibration images" + (ok ? " (passes)" : ""));
      return ok;
    };
    auto search_fallback = [&]() -> Result<int> {
      auto none = passes(0);
      if (!none.ok()) return none.status();
      if (*none) return 0;
      const int all = static_cast<int>(groups.size());
      auto every = passes(all);
      if (!every.ok()) return every.status();
      if (!*every) return 0;  // float layers do not help: keep the integer model
      int lo = 0, hi = all;   // lo fails, hi passes
      while (hi - lo > 1) {
        const int mid = lo + (hi - lo) / 2;
        auto p = passes(mid);
        if (!p.ok()) return p.status();
        (*p ? hi : lo) = mid;
      }
      return hi;
    };
    say("checking the quantized model on " + std::to_string(search.size()) +
        " calibration images (float fallback)");
    auto k = search_fallback();
    std::error_code ec;
    fs::remove(trial, ec);
    if (!k.ok()) return k.status();
    float_groups = *k;
  }
  r.fallback_float_groups = float_groups;
  RVM_RETURN_IF_ERROR(build(float_groups, o.out_path, &r));
  r.rewrite_s = Seconds(rewrite_start);
  auto sha = Sha256File(o.out_path, "quantized model");
  if (!sha.ok()) return sha.status();
  r.model_sha256 = *sha;

  say("evaluating on " + std::to_string(eval.size()) + " held-out images");
  const auto eval_start = Clock::now();
  RVM_RETURN_IF_ERROR(Evaluate(eval, o.model_path, o.out_path, o, r));
  r.evaluation_s = Seconds(eval_start);
  if (o.speed_iterations > 0) {
    say("timing both models (" + std::to_string(o.speed_iterations) + " inferences each)");
    RVM_RETURN_IF_ERROR(MeasureSpeed(o.model_path, o.out_path, eval, o, r));
  }

  if (r.agreement < o.min_agreement) {
    r.failures.push_back("agreement " + std::to_string(r.agreement) + " is below " +
                         std::to_string(o.min_agreement));
  }
  if (r.has_map && r.map_drop_points() > o.max_map_drop_points) {
    r.failures.push_back("mAP@0.5 drops by " + std::to_string(r.map_drop_points()) +
                         " points, more than " + std::to_string(o.max_map_drop_points));
  }
  r.passed = r.failures.empty();
  r.total_s = Seconds(start);
  RVM_RETURN_IF_ERROR(WriteFileAtomic(ReportPathFor(o.out_path), r.ToJson().dump(2) + "\n"));
  return r;
}

}  // namespace rvm::quantize
