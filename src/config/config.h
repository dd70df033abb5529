// Config: the whole start-up configuration of the edge agent as plain structs.
//
// Every field has an in-class default, so a default-constructed Config is the
// configuration of an empty TOML file, and a one-line comment with its unit.
// The TOML keys are the field names, grouped by sub-struct
// (`[detector] conf_threshold = 0.25`); config/rvm-edge.example.toml documents
// each one. Config is parsed and validated once (config_parser.h) and then
// passed down by const reference, sub-struct by sub-struct; it is a plain value
// and safe to share read-only between threads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/default_model.h"
#include "config/execution_providers.h"
#include "config/material.h"
#include "config/roi.h"

namespace rvm {

// A credential. Its value never appears in summaries or logs; `source` says
// where it came from, for the operator ("file", "env RVM_EDGE_API_KEY").
struct Secret {
  std::string value;   // empty when unset
  std::string source;  // empty when unset

  bool set() const { return !value.empty(); }

  bool operator==(const Secret&) const = default;
};

struct MachineConfig {
  std::string id = "rvm-edge-dev";  // this machine's id, carried by every decision
  std::string name = "RVM Edge";    // human-readable name, for the platform and the dashboard

  bool operator==(const MachineConfig&) const = default;
};

// Bounds of detector.max_image_pixels (and of `--max-megapixels`, in millions).
inline constexpr int64_t kMinImagePixelLimit = 1;
inline constexpr int64_t kMaxImagePixelLimit = 1'000'000'000;

struct DetectorConfig {
  std::string model_path = DefaultModelFile();  // ONNX model file (config/default_model.h)
  // Label list, one name per line; "" = the model's metadata or a list beside it.
  std::string labels_path;
  std::string backend = "ort";  // "ort" (ONNX Runtime) | "opencv" (OpenCV DNN)
  // Output decoder: auto|yolox|yolov5|yolov7|yolov8|yolo11|yolov11|fastestdet.
  std::string family = "auto";
  double conf_threshold = 0.25;           // minimum detection score, [0, 1]
  double nms_iou = 0.45;                  // NMS overlap threshold, [0, 1]
  int max_detections = 100;               // detections kept per image after NMS
  int intra_op_threads = 0;               // runtime threads per inference, 0 = runtime default
  std::string cache_dir = "var/cache";    // optimised-model cache, "" = no cache
  int64_t max_image_pixels = 50'000'000;  // larger decoded images are refused, pixels,
                                          // [kMinImagePixelLimit, kMaxImagePixelLimit]
  // Region of the frame the detector and the motion gate look at, fractions
  // [x0, y0, x1, y1] of the frame (config/roi.h); default the whole frame.
  Roi roi;
  // Hardware that runs the model (backend "ort"): the [detector] keys
  // execution_providers, require_gpu, gpu_device_id, tensorrt_fp16,
  // tensorrt_int8 and tensorrt_workspace_bytes (config/execution_providers.h).
  // TensorRT keeps its engines in cache_dir, beside the optimised graphs.
  ExecutionProviderOptions execution;

  bool operator==(const DetectorConfig&) const = default;
};

struct CaptureConfig {
  std::string source = "camera";       // camera|gstreamer|video|images|synthetic
  std::string device = "/dev/video0";  // V4L2 device, for source = "camera"
  std::string uri;                     // GStreamer pipeline or stream URI, for source = "gstreamer"
  std::string path;                    // video file or image directory, for "video" / "images"
  int width = 1280;                    // requested frame width, pixels
  int height = 720;                    // requested frame height, pixels
  double fps = 30;                     // requested camera rate, frames per second
  bool loop = false;                   // restart a video or image directory at its end
  bool watch = false;                  // keep polling an image directory for new files
  double idle_fps = 2;                 // rate while nothing moves, frames per second
  double active_fps = 15;              // rate after motion or a trigger, frames per second
  double motion_threshold = 0.01;      // fraction of changed pixels that counts as motion, [0, 1]
  int quiet_period_ms = 1500;          // no motion this long returns to idle rate, ms
  int reconnect_backoff_min_ms = 500;  // first wait before reopening a lost source, ms
  int reconnect_backoff_max_ms = 30000;  // longest wait between reopen attempts, ms
  int stall_timeout_ms = 3000;           // no frame this long counts as a lost source, ms
  int failures_before_reopen = 3;        // consecutive failed reads that count as a lost source
  std::string fourcc = "MJPG";           // camera pixel format (4 characters), "" = driver default
  bool pace = true;  // replay a video or synthetic scene at its frame rate, like a camera

  bool operator==(const CaptureConfig&) const = default;
};

struct PipelineConfig {
  int frame_pool_size = 8;            // pooled frame buffers
  int tensor_pool_size = 4;           // pooled input tensors
  int frame_queue_capacity = 4;       // frames waiting for inference (drop-oldest when full)
  int detection_queue_capacity = 16;  // results waiting for the tracker (blocks when full)
  int inference_workers = 2;          // threads running the detector
  int batch_max_size = 1;             // frames per inference call
  int batch_timeout_ms = 5;           // longest wait to fill a batch, ms

  bool operator==(const PipelineConfig&) const = default;
};

struct TrackerConfig {
  double iou_match_threshold = 0.3;  // IoU with an item's last box that continues it, (0, 1]
  int max_missed_frames = 5;         // frames an item may be unseen (occlusion) before it has left
  int min_frames_to_decide = 3;      // frames an item must be seen to be decided at all
  int settle_frames = 15;            // frames seen after which it is decided while still present
  // Best detection score an item needs before it counts toward multiple_items, [0, 1]. A weak box
  // beside a confident item is far more often a reflection, a label or the background than a
  // second container; a second container is seen as confidently as the first. 0.5 is the lowest
  // default accept threshold: an object the machine would not accept on its own does not count.
  double multiple_items_min_score = 0.5;

  bool operator==(const TrackerConfig&) const = default;
};

struct PolicyConfig {
  // Detector label -> material. Labels not listed are "unknown_item".
  std::map<std::string, Material> label_materials = {
      {"bottle", Material::kPet},        // COCO
      {"cup", Material::kAluminium},     // COCO has no can; cans are mostly seen as "cup"
      {"wine glass", Material::kGlass},  // COCO
      {"pet_bottle", Material::kPet},
      {"plastic_bottle", Material::kPet},
      {"can", Material::kAluminium},
      {"aluminium_can", Material::kAluminium},
      {"aluminum_can", Material::kAluminium},
      {"glass_bottle", Material::kGlass},
      {"glass", Material::kGlass},
  };
  // Labels dropped before tracking (the hand that inserts the item).
  std::vector<std::string> ignored_labels = {"person"};
  // Minimum fused confidence to accept, per material, [0, 1].
  std::map<Material, double> accept_threshold = {{Material::kPet, 0.5},
                                                 {Material::kAluminium, 0.5},
                                                 {Material::kGlass, 0.6},
                                                 {Material::kOther, 1.0}};
  // Materials this machine takes back; others are "not_accepted_material".
  std::vector<Material> accepted_materials = {Material::kPet, Material::kAluminium,
                                              Material::kGlass};

  bool operator==(const PolicyConfig&) const = default;
};

struct SessionsConfig {
  int idle_timeout_s = 60;     // a session with no item for this long is closed, s
  int64_t guest_user_id = -1;  // platform user credited for guest/donation sessions
  // Points credited per accepted item, per material (integers, >= 0).
  std::map<Material, int> points = {{Material::kPet, 10},
                                    {Material::kAluminium, 15},
                                    {Material::kGlass, 20},
                                    {Material::kOther, 0}};

  bool operator==(const SessionsConfig&) const = default;
};

struct OutboxConfig {
  std::string dir = "var/outbox";       // SQLite database and evidence spool directory
  int64_t quota_bytes = 1'073'741'824;  // disk the outbox may use, bytes

  bool operator==(const OutboxConfig&) const = default;
};

struct UplinkConfig {
  std::string contract = "edge_v1";  // platform API generation: "edge_v1" | "v2"
  std::string base_url;              // platform origin, "" = offline (decisions stay local)
  Secret api_key;                    // edge v1 X-RVM-API-KEY / v2 X-API-Key (env RVM_EDGE_API_KEY)
  int64_t machine_id = 0;  // platform's numeric machine id (X-RVM-Machine-ID, rvm_id), 0 = unset
  std::string email;       // v2 login e-mail
  Secret password;         // v2 login password (env RVM_EDGE_PASSWORD)
  Secret token;            // bearer token for sync-offline auth "bearer" (env RVM_EDGE_TOKEN)
  std::string sync_offline_auth = "key";  // edge v1 sync-offline variant: "key" | "bearer"
  int connect_timeout_ms = 5000;          // TCP+TLS connect limit, ms
  int request_timeout_ms = 15000;         // whole-request limit, ms
  int batch_max_size = 50;                // records per sync-offline request
  int batch_max_delay_ms = 2000;          // longest a record waits for a batch to fill, ms
  int retry_backoff_min_ms = 250;         // first retry delay, ms (docs/uplink-performance.md)
  int retry_backoff_max_ms = 60000;       // longest retry delay, ms
  int heartbeat_interval_s = 30;          // heartbeat period, s (platform marks offline after 120)
  std::string ca_path;                    // CA bundle for TLS, "" = system default
  int circuit_failure_threshold = 5;      // consecutive failed sends that open the circuit
  int circuit_open_ms = 5000;             // first open period, ms (doubles per failed probe)
  int circuit_max_open_ms = 60000;        // longest open period, ms
  double replay_max_records_per_s = 0;    // delivery rate bound, records/s; 0 = unbounded
  int records_per_round = 500;            // records read from the outbox per delivery round
  int max_in_flight = 4;                  // deposit requests in flight at once (edge v1)

  bool operator==(const UplinkConfig&) const = default;
};

struct AdminConfig {
  std::string bind_address = "127.0.0.1";  // admin HTTP listen address
  int port = 8080;                         // admin HTTP port, 0 = any free port
  // Bearer token for mutating and image endpoints (env RVM_EDGE_ADMIN_TOKEN);
  // unset = those endpoints are refused.
  Secret token;
  // Serve the admin port beyond loopback without a token (dashboard, status,
  // metrics and decision lists open to the network). Without it, a
  // bind_address other than loopback needs a token; with it, every start logs
  // a warning.
  bool allow_unauthenticated_remote = false;
  // v2 platform pull probes (only with uplink.contract = "v2"), on bind_address:
  int pulse_port = 5002;  // GET /pulse, 0 = any free port
  int probe_port = 8000;  // GET /api/health-check and /api/metrics, 0 = any free port

  bool operator==(const AdminConfig&) const = default;
};

struct LoggingConfig {
  std::string level = "info";           // trace|debug|info|warn|error|off
  std::string format = "text";          // "text" | "json" (one object per line)
  std::string file;                     // log file, "" = standard error
  int64_t max_size_bytes = 10'485'760;  // rotate the log file at this size, bytes
  int files_kept = 3;                   // rotated files kept

  bool operator==(const LoggingConfig&) const = default;
};

struct SinkConfig {
  std::string decisions_path =
      "-";  // JSON-lines file of decisions and session summaries, "-" = stdout

  bool operator==(const SinkConfig&) const = default;
};

struct Config {
  MachineConfig machine;
  DetectorConfig detector;
  CaptureConfig capture;
  PipelineConfig pipeline;
  TrackerConfig tracker;
  PolicyConfig policy;
  SessionsConfig sessions;
  OutboxConfig outbox;
  UplinkConfig uplink;
  AdminConfig admin;
  LoggingConfig logging;
  SinkConfig sink;

  bool operator==(const Config&) const = default;
};

}  // namespace rvm
