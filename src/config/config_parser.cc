#include "config/config_parser.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <utility>
#include <vector>

#include "base/file_util.h"
#include "config/config_validate.h"
#include "config/toml_text.h"

namespace rvm {
namespace {

// Problems found while reading, plus where each key sat in the file so that
// validation issues (which know only the key) can point at a line too.
struct Diagnostics {
  std::string source_name;
  std::vector<std::string> lines;
  std::map<std::string, std::string> locations;  // dotted key -> "file:line:col"

  std::string Where(const toml::source_region& r) const {
    std::ostringstream out;
    out << source_name << ":" << r.begin.line << ":" << r.begin.column;
    return out.str();
  }
  void Add(const toml::source_region& r, std::string message) {
    lines.push_back(Where(r) + ": " + std::move(message));
  }
};

std::string Render(const toml::node& node) {
  if (node.is_table()) return "{...}";
  if (node.is_string()) return TomlString(node.as_string()->get());
  if (node.is_floating_point()) return TomlFloat(node.as_floating_point()->get());
  std::ostringstream out;
  node.visit([&out](const auto& n) { out << n; });
  return out.str();
}

const char* TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    default:
      return "a date/time";
  }
}

// Levenshtein distance, to suggest the key an operator probably meant.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// Reads the keys of one TOML table into struct fields, recording type errors
// and, in Finish(), the keys nobody asked for.
class TableReader {
 public:
  TableReader(const toml::table* table, std::string prefix, Diagnostics& diag)
      : table_(table), prefix_(std::move(prefix)), diag_(diag) {}

  void Read(std::string_view key, std::string& out) {
    Get(
        key,
        [&](const toml::node& n) {
          if (!n.is_string()) return false;
          out = n.as_string()->get();
          return true;
        },
        "a string");
  }
  void Read(std::string_view key, bool& out) {
    Get(
        key,
        [&](const toml::node& n) {
          if (!n.is_boolean()) return false;
          out = n.as_boolean()->get();
          return true;
        },
        "a boolean (true or false)");
  }
  void Read(std::string_view key, int64_t& out) {
    Get(
        key,
        [&](const toml::node& n) {
          if (!n.is_integer()) return false;
          out = n.as_integer()->get();
          return true;
        },
        "an integer");
  }
  void Read(std::string_view key, int& out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return;
    if (!n->is_integer()) return TypeError(key, *n, "an integer");
    const int64_t v = n->as_integer()->get();
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      diag_.Add(n->source(), Name(key) + " = " + Render(*n) + ": out of range for this key");
      return;
    }
    out = static_cast<int>(v);
  }
  void Read(std::string_view key, double& out) {
    Get(
        key,
        [&](const toml::node& n) {
          if (n.is_floating_point()) {
            out = n.as_floating_point()->get();
            return true;
          }
          if (n.is_integer()) {
            out = static_cast<double>(n.as_integer()->get());
            return true;
          }
          return false;
        },
        "a number");
  }
  // [x0, y0, x1, y1]: four numbers; their ranges are checked by ValidateConfig.
  void Read(std::string_view key, Roi& out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return;
    const toml::array* arr = n->as_array();
    double v[4] = {};
    if (arr == nullptr || arr->size() != 4) {
      return TypeError(key, *n, "an array of 4 numbers [x0, y0, x1, y1]");
    }
    for (size_t i = 0; i < 4; ++i) {
      const toml::node& e = (*arr)[i];
      if (e.is_floating_point()) {
        v[i] = e.as_floating_point()->get();
      } else if (e.is_integer()) {
        v[i] = static_cast<double>(e.as_integer()->get());
      } else {
        return TypeError(key, *n, "an array of 4 numbers [x0, y0, x1, y1]");
      }
    }
    out = Roi{v[0], v[1], v[2], v[3]};
  }
  // Returns whether the key was present and well-typed.
  bool Read(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = Find(key);
    if (n == nullptr) return false;
    const toml::array* arr = n->as_array();
    std::vector<std::string> values;
    for (size_t i = 0; arr != nullptr && i < arr->size(); ++i) {
      if (!(*arr)[i].is_string())
        arr = nullptr;
      else
        values.push_back((*arr)[i].as_string()->get());
    }
    if (arr == nullptr) {
      TypeError(key, *n, "an array of strings");
      return false;
    }
    out = std::move(values);
    return true;
  }

  // A secret: `key`, or `key_env` naming a variable, or else `default_env`.
  void ReadSecret(std::string_view key, Secret& out, const std::string& default_env,
                  const EnvLookup& env) {
    const std::string env_key = std::string(key) + "_env";
    const toml::node* direct = Find(key);
    const toml::node* indirect = Find(env_key);
    if (direct != nullptr && indirect != nullptr) {
      diag_.Add(indirect->source(), Name(env_key) + " = " + Render(*indirect) + ": give either " +
                                        Name(key) + " or " + Name(env_key) + ", not both");
      return;
    }
    if (direct != nullptr) {
      if (!direct->is_string()) return TypeError(key, *direct, "a string");
      out = {direct->as_string()->get(), "file"};
      return;
    }
    if (indirect != nullptr) {
      if (!indirect->is_string() || indirect->as_string()->get().empty()) {
        return TypeError(env_key, *indirect, "an environment variable name");
      }
      const std::string var = indirect->as_string()->get();
      std::optional<std::string> value = env(var);
      if (!value || value->empty()) {
        diag_.Add(indirect->source(), Name(env_key) + " = " + Render(*indirect) +
                                          ": environment variable " + var + " is not set");
        return;
      }
      out = {std::move(*value), "env " + var};
      return;
    }
    if (std::optional<std::string> value = env(default_env); value && !value->empty()) {
      out = {std::move(*value), "env " + default_env};
    }
  }

  // A sub-table; nullptr when absent (or not a table, which is reported).
  const toml::table* Table(std::string_view key) {
    const toml::node* n = Find(key);
    if (n == nullptr) return nullptr;
    if (!n->is_table()) {
      TypeError(key, *n, "a table");
      return nullptr;
    }
    return n->as_table();
  }

  // Every entry of a free-form table (label maps): the caller reads them all.
  template <typename Fn>
  void ForEachEntry(std::string_view key, Fn&& fn) {
    const toml::table* t = Table(key);
    if (t == nullptr) return;
    for (auto&& [k, v] : *t) {
      const std::string name = Name(key) + "." + std::string(k.str());
      diag_.locations[name] = diag_.Where(v.source());
      fn(std::string(k.str()), name, v);
    }
  }

  void TypeError(std::string_view key, const toml::node& n, std::string_view expected) {
    diag_.Add(n.source(), Name(key) + " = " + Render(n) + ": expected " + std::string(expected) +
                              ", got " + TypeName(n));
  }

  // Reports keys present in the table that no Read/Table call asked for.
  void Finish() {
    if (table_ == nullptr) return;
    for (auto&& [k, v] : *table_) {
      const std::string key(k.str());
      if (used_.count(key) != 0) continue;
      std::string message = "unknown key '" + Name(key) + "'";
      std::string best;
      size_t best_distance = 3;  // suggest only near misses
      for (const std::string& known : asked_) {
        const size_t d = EditDistance(key, known);
        if (d < best_distance) {
          best_distance = d;
          best = known;
        }
      }
      if (!best.empty()) message += " (did you mean '" + Name(best) + "'?)";
      diag_.Add(k.source(), std::move(message));
    }
  }

  std::string Name(std::string_view key) const {
    return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
  }

 private:
  const toml::node* Find(std::string_view key) {
    asked_.insert(std::string(key));
    if (table_ == nullptr) return nullptr;
    const toml::node* n = table_->get(key);
    if (n == nullptr) return nullptr;
    used_.insert(std::string(key));
    diag_.locations[Name(key)] = diag_.Where(n->source());
    return n;
  }

  template <typename Fn>
  void Get(std::string_view key, Fn&& assign, std::string_view expected) {
    const toml::node* n = Find(key);
    if (n == nullptr) return;
    if (!assign(*n)) TypeError(key, *n, expected);
  }

  const toml::table* table_;
  std::string prefix_;
  Diagnostics& diag_;
  std::set<std::string> used_;
  std::set<std::string> asked_;
};

// Reads `[section.key]` as a material -> value table (points, thresholds).
template <typename T>
void ReadMaterialTable(TableReader& r, std::string_view key, std::map<Material, T>& out,
                       Diagnostics& diag) {
  std::map<Material, T> values = out;
  r.ForEachEntry(key, [&](const std::string& k, const std::string& name, const toml::node& v) {
    std::optional<Material> m = ParseMaterial(k);
    if (!m) {
      diag.Add(v.source(),
               "unknown material '" + name + "' (materials are pet, aluminium, glass, other)");
      return;
    }
    if constexpr (std::is_same_v<T, int>) {
      if (!v.is_integer() || v.as_integer()->get() < std::numeric_limits<int>::min() ||
          v.as_integer()->get() > std::numeric_limits<int>::max()) {
        diag.Add(v.source(), name + " = " + Render(v) + ": expected an integer");
        return;
      }
      values[*m] = static_cast<int>(v.as_integer()->get());
    } else {
      if (v.is_floating_point()) {
        values[*m] = v.as_floating_point()->get();
      } else if (v.is_integer()) {
        values[*m] = static_cast<double>(v.as_integer()->get());
      } else {
        diag.Add(v.source(), name + " = " + Render(v) + ": expected a number");
        return;
      }
    }
  });
  out = std::move(values);
}

void ReadPolicy(TableReader& r, PolicyConfig& p, Diagnostics& diag) {
  // A [policy.labels] table replaces the default map as a whole: an operator's
  // model has its own label list, and stray defaults would only confuse.
  if (const toml::table* labels = r.Table("labels"); labels != nullptr) {
    std::map<std::string, Material> map;
    bool all_valid = true;
    r.ForEachEntry(
        "labels", [&](const std::string& k, const std::string& name, const toml::node& v) {
          const std::optional<Material> m =
              v.is_string() ? ParseMaterial(v.as_string()->get()) : std::nullopt;
          if (!m) {
            diag.Add(v.source(), name + " = " + Render(v) +
                                     ": expected a material (pet, aluminium, glass, other)");
            return;
          }
          map[k] = *m;
        });
    if (all_valid) p.label_materials = std::move(map);
  }
  r.Read("ignored_labels", p.ignored_labels);
  ReadMaterialTable(r, "accept_threshold", p.accept_threshold, diag);
  if (std::vector<std::string> accepted; r.Read("accepted_materials", accepted)) {
    std::vector<Material> materials;
    for (const std::string& name : accepted) {
      if (std::optional<Material> m = ParseMaterial(name)) {
        materials.push_back(*m);
      } else {
        diag.lines.push_back(diag.locations["policy.accepted_materials"] +
                             ": policy.accepted_materials contains \"" + name +
                             "\": not a material (pet, aluminium, glass, other)");
      }
    }
    p.accepted_materials = std::move(materials);
  }
}

Config ReadConfig(const toml::table& root, Diagnostics& diag, const EnvLookup& env) {
  Config c;
  TableReader top(&root, "", diag);
  {
    TableReader r(top.Table("machine"), "machine", diag);
    r.Read("id", c.machine.id);
    r.Read("name", c.machine.name);
    r.Finish();
  }
  {
    DetectorConfig& d = c.detector;
    TableReader r(top.Table("detector"), "detector", diag);
    r.Read("model_path", d.model_path);
    r.Read("labels_path", d.labels_path);
    r.Read("backend", d.backend);
    r.Read("family", d.family);
    r.Read("conf_threshold", d.conf_threshold);
    r.Read("nms_iou", d.nms_iou);
    r.Read("max_detections", d.max_detections);
    r.Read("intra_op_threads", d.intra_op_threads);
    r.Read("cache_dir", d.cache_dir);
    r.Read("max_image_pixels", d.max_image_pixels);
    r.Read("roi", d.roi);
    r.Read("execution_providers", d.execution.providers);
    r.Read("require_gpu", d.execution.require_gpu);
    r.Read("gpu_device_id", d.execution.gpu_device_id);
    r.Read("tensorrt_fp16", d.execution.tensorrt_fp16);
    r.Read("tensorrt_int8", d.execution.tensorrt_int8);
    r.Read("tensorrt_workspace_bytes", d.execution.tensorrt_workspace_bytes);
    r.Finish();
  }
  {
    CaptureConfig& cap = c.capture;
    TableReader r(top.Table("capture"), "capture", diag);
    r.Read("source", cap.source);
    r.Read("device", cap.device);
    r.Read("uri", cap.uri);
    r.Read("path", cap.path);
    r.Read("width", cap.width);
    r.Read("height", cap.height);
    r.Read("fps", cap.fps);
    r.Read("loop", cap.loop);
    r.Read("watch", cap.watch);
    r.Read("idle_fps", cap.idle_fps);
    r.Read("active_fps", cap.active_fps);
    r.Read("motion_threshold", cap.motion_threshold);
    r.Read("quiet_period_ms", cap.quiet_period_ms);
    r.Read("reconnect_backoff_min_ms", cap.reconnect_backoff_min_ms);
    r.Read("reconnect_backoff_max_ms", cap.reconnect_backoff_max_ms);
    r.Read("stall_timeout_ms", cap.stall_timeout_ms);
    r.Read("failures_before_reopen", cap.failures_before_reopen);
    r.Read("fourcc", cap.fourcc);
    r.Read("pace", cap.pace);
    r.Finish();
  }
  {
    PipelineConfig& p = c.pipeline;
    TableReader r(top.Table("pipeline"), "pipeline", diag);
    r.Read("frame_pool_size", p.frame_pool_size);
    r.Read("tensor_pool_size", p.tensor_pool_size);
    r.Read("frame_queue_capacity", p.frame_queue_capacity);
    r.Read("detection_queue_capacity", p.detection_queue_capacity);
    r.Read("inference_workers", p.inference_workers);
    r.Read("batch_max_size", p.batch_max_size);
    r.Read("batch_timeout_ms", p.batch_timeout_ms);
    r.Finish();
  }
  {
    TrackerConfig& t = c.tracker;
    TableReader r(top.Table("tracker"), "tracker", diag);
    r.Read("iou_match_threshold", t.iou_match_threshold);
    r.Read("max_missed_frames", t.max_missed_frames);
    r.Read("min_frames_to_decide", t.min_frames_to_decide);
    r.Read("settle_frames", t.settle_frames);
    r.Read("multiple_items_min_score", t.multiple_items_min_score);
    r.Finish();
  }
  {
    TableReader r(top.Table("policy"), "policy", diag);
    ReadPolicy(r, c.policy, diag);
    r.Finish();
  }
  {
    SessionsConfig& s = c.sessions;
    TableReader r(top.Table("sessions"), "sessions", diag);
    r.Read("idle_timeout_s", s.idle_timeout_s);
    r.Read("guest_user_id", s.guest_user_id);
    ReadMaterialTable(r, "points", s.points, diag);
    r.Finish();
  }
  {
    TableReader r(top.Table("outbox"), "outbox", diag);
    r.Read("dir", c.outbox.dir);
    r.Read("quota_bytes", c.outbox.quota_bytes);
    r.Finish();
  }
  {
    UplinkConfig& u = c.uplink;
    TableReader r(top.Table("uplink"), "uplink", diag);
    r.Read("contract", u.contract);
    r.Read("base_url", u.base_url);
    r.ReadSecret("api_key", u.api_key, "RVM_EDGE_API_KEY", env);
    r.Read("machine_id", u.machine_id);
    r.Read("email", u.email);
    r.ReadSecret("password", u.password, "RVM_EDGE_PASSWORD", env);
    r.ReadSecret("token", u.token, "RVM_EDGE_TOKEN", env);
    r.Read("sync_offline_auth", u.sync_offline_auth);
    r.Read("connect_timeout_ms", u.connect_timeout_ms);
    r.Read("request_timeout_ms", u.request_timeout_ms);
    r.Read("batch_max_size", u.batch_max_size);
    r.Read("batch_max_delay_ms", u.batch_max_delay_ms);
    r.Read("retry_backoff_min_ms", u.retry_backoff_min_ms);
    r.Read("retry_backoff_max_ms", u.retry_backoff_max_ms);
    r.Read("heartbeat_interval_s", u.heartbeat_interval_s);
    r.Read("ca_path", u.ca_path);
    r.Read("circuit_failure_threshold", u.circuit_failure_threshold);
    r.Read("circuit_open_ms", u.circuit_open_ms);
    r.Read("circuit_max_open_ms", u.circuit_max_open_ms);
    r.Read("replay_max_records_per_s", u.replay_max_records_per_s);
    r.Read("records_per_round", u.records_per_round);
    r.Read("max_in_flight", u.max_in_flight);
    r.Finish();
  }
  {
    TableReader r(top.Table("admin"), "admin", diag);
    r.Read("bind_address", c.admin.bind_address);
    r.Read("port", c.admin.port);
    r.ReadSecret("token", c.admin.token, "RVM_EDGE_ADMIN_TOKEN", env);
    r.Read("allow_unauthenticated_remote", c.admin.allow_unauthenticated_remote);
    r.Read("pulse_port", c.admin.pulse_port);
    r.Read("probe_port", c.admin.probe_port);
    r.Finish();
  }
  {
    LoggingConfig& l = c.logging;
    TableReader r(top.Table("logging"), "logging", diag);
    r.Read("level", l.level);
    r.Read("format", l.format);
    r.Read("file", l.file);
    r.Read("max_size_bytes", l.max_size_bytes);
    r.Read("files_kept", l.files_kept);
    r.Finish();
  }
  {
    TableReader r(top.Table("sink"), "sink", diag);
    r.Read("decisions_path", c.sink.decisions_path);
    r.Finish();
  }
  top.Finish();
  return c;
}

}  // namespace

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<Config> ParseConfig(std::string_view text, std::string_view source_name,
                           const EnvLookup& env) {
  Diagnostics diag;
  diag.source_name = std::string(source_name);
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    std::ostringstream out;
    out << "config '" << source_name << "': " << source_name << ":" << e.source().begin.line << ":"
        << e.source().begin.column << ": " << e.description();
    return InvalidArgument(out.str());
  }
  Config config = ReadConfig(root, diag, env);
  for (const ConfigIssue& issue : ValidateConfig(config)) {
    auto it = diag.locations.find(issue.key);
    const std::string where = it != diag.locations.end() ? it->second : diag.source_name;
    diag.lines.push_back(where + ": " + issue.message);
  }
  if (diag.lines.empty()) return config;
  std::ostringstream out;
  out << "config '" << source_name << "' has " << diag.lines.size()
      << (diag.lines.size() == 1 ? " problem:" : " problems:");
  for (const std::string& line : diag.lines) out << "\n  " << line;
  return InvalidArgument(out.str());
}

Result<Config> LoadConfig(const std::string& path, const EnvLookup& env) {
  auto bytes = ReadFileBytes(path, "config");
  if (!bytes.ok()) return bytes.status();
  return ParseConfig(std::string(bytes->begin(), bytes->end()), path, env);
}

}  // namespace rvm
