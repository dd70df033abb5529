#include "admin/admin_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <sstream>

#include "config/material.h"

namespace rvm::admin {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Seconds. Stages range from tens of microseconds (queue, decide) to a few
// hundred milliseconds (inference on a small CPU).
const prometheus::Histogram::BucketBoundaries kStageBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
const prometheus::Histogram::BucketBoundaries kBatchBuckets = {1, 2, 4, 8, 16, 32, 64};
const prometheus::Histogram::BucketBoundaries kUplinkBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                1,    2.5,   5,    10,  30};

// Collects scrape-time series, grouping samples of one name into one family.
class Families {
 public:
  void Gauge(const std::string& name, const std::string& help, double value,
             std::vector<ClientMetric::Label> labels = {}) {
    Add(name, help, MetricType::Gauge, std::move(labels)).gauge.value = value;
  }
  void Counter(const std::string& name, const std::string& help, double value,
               std::vector<ClientMetric::Label> labels = {}) {
    Add(name, help, MetricType::Counter, std::move(labels)).counter.value = value;
  }
  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  ClientMetric& Add(const std::string& name, const std::string& help, MetricType type,
                    std::vector<ClientMetric::Label> labels) {
    auto it = std::find_if(families_.begin(), families_.end(),
                           [&](const MetricFamily& f) { return f.name == name; });
    if (it == families_.end()) {
      families_.push_back({name, help, type, {}});
      it = families_.end() - 1;
    }
    ClientMetric& m = it->metric.emplace_back();
    m.label = std::move(labels);
    return m;
  }
  std::vector<MetricFamily> families_;
};

double B(bool b) { return b ? 1 : 0; }
double D(int64_t v) { return static_cast<double>(v); }
double D(uint64_t v) { return static_cast<double>(v); }

size_t MaterialIndex(const std::optional<Material>& m) {
  return m ? static_cast<size_t>(*m) : kAllMaterials.size();
}

}  // namespace

double HistogramQuantile(const ClientMetric::Histogram& h, double q) {
  if (h.sample_count == 0 || h.bucket.empty()) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(h.sample_count);
  double lower = 0;
  uint64_t below = 0;
  double last_finite = 0;
  for (const ClientMetric::Bucket& b : h.bucket) {
    const bool finite = b.upper_bound != std::numeric_limits<double>::infinity();
    if (b.cumulative_count >= rank && b.cumulative_count > below) {
      if (!finite) return last_finite;
      const double in_bucket = static_cast<double>(b.cumulative_count - below);
      return lower + (b.upper_bound - lower) * (rank - static_cast<double>(below)) / in_bucket;
    }
    if (finite) {
      lower = b.upper_bound;
      last_finite = b.upper_bound;
    }
    below = b.cumulative_count;
  }
  return last_finite;
}

std::vector<MetricFamily> StatusFamilies(const ops::ServiceStatus& s, const SystemSample& sys) {
  Families f;
  f.Gauge("rvm_build_info", "Constant 1; labels name the build and the machine", 1,
          {{"machine_id", s.machine_id}, {"version", s.version}});
  f.Gauge("rvm_uptime_seconds", "Seconds since the service started", s.uptime_s);
  f.Gauge("rvm_maintenance", "1 while the machine is in maintenance", B(s.maintenance));
  f.Gauge("rvm_accepting", "1 while items are accepted", B(s.accepting));
  f.Gauge("rvm_detector_conf_threshold", "Minimum detection score in use", s.conf_threshold);
  if (s.last_frame_age_ms >= 0) {
    f.Gauge("rvm_last_frame_age_seconds", "Seconds since the frame source last delivered",
            D(s.last_frame_age_ms) / 1000.0);
  }
  f.Counter("rvm_pipeline_restarts_total", "Pipeline restarts since start", D(s.pipeline_restarts));

  const PipelineStats& p = s.pipeline;
  f.Counter("rvm_frames_captured_total", "Frames read from the source", D(p.frames_sampled));
  f.Counter("rvm_frames_to_detector_total", "Frames sent to inference", D(p.frames_to_detector));
  f.Counter("rvm_frames_idle_total", "Frames only the motion gate saw", D(p.frames_idle));
  f.Counter("rvm_frames_processed_total", "Frames the detector ran on", D(p.frames_inferred));
  f.Counter("rvm_frames_tracked_total", "Frames the decide stage tracked", D(p.frames_tracked));
  f.Counter("rvm_frames_dropped_total", "Frames dropped from the full frame queue",
            D(p.frame_queue.dropped));
  f.Counter("rvm_frame_read_failures_total", "Temporary frame source read failures",
            D(p.read_failures));
  f.Gauge("rvm_capture_active", "1 while capture runs in active mode (detector on)",
          B(p.mode == "active"));
  for (const auto& [name, q] : {std::pair<const char*, const QueueStats&>{"frames", p.frame_queue},
                                {"results", p.result_queue}}) {
    f.Gauge("rvm_queue_depth", "Elements waiting in a pipeline queue", D(uint64_t{q.depth}),
            {{"queue", name}});
    f.Gauge("rvm_queue_capacity", "Pipeline queue capacity", D(uint64_t{q.capacity}),
            {{"queue", name}});
    f.Gauge("rvm_queue_max_depth", "Pipeline queue high-water mark", D(uint64_t{q.max_depth}),
            {{"queue", name}});
    f.Counter("rvm_queue_blocked_pushes_total", "Pushes that waited for room", D(q.blocked),
              {{"queue", name}});
  }
  f.Gauge("rvm_frame_pool_slots", "Frame pool size", p.frame_pool.size);
  f.Gauge("rvm_frame_pool_in_use", "Frame pool slots in use", p.frame_pool.in_use);
  f.Gauge("rvm_frame_pool_max_in_use", "Frame pool high-water mark", p.frame_pool.max_in_use);
  f.Counter("rvm_frame_pool_waits_total", "Acquisitions that found the pool empty",
            D(p.frame_pool.waits));
  f.Gauge("rvm_inference_workers", "Inference worker threads", p.workers);
  f.Gauge("rvm_inference_batch_capacity", "Largest batch per worker", p.batch_capacity);
  f.Counter("rvm_inference_batches_total", "Inference calls", D(p.batches));
  f.Counter("rvm_inference_failures_total", "Failed inference calls", D(p.inference_failures));
  f.Counter("rvm_inference_seconds_total", "Time spent in inference calls",
            p.inference_ms_total / 1000.0);
  f.Counter("rvm_record_failures_total", "Decisions the recorder failed to record",
            D(p.record_failures));
  f.Counter("rvm_evidence_missing_total", "Decisions recorded without a best frame",
            D(p.evidence_missing));
  f.Counter("rvm_decisions_file_failures_total",
            "Writes to the decisions file (a side log) that failed; the outbox kept the records",
            D(s.decisions_file_failures));
  f.Counter("rvm_images_skipped_total",
            "Image files the image-folder source skipped as unreadable or undecodable",
            D(s.images_skipped));
  f.Counter("rvm_tracker_items_started_total", "Tracks opened", D(p.tracker.items_started));
  f.Counter("rvm_tracker_noise_dropped_total", "Tracks that left before a decision",
            D(p.tracker.noise_dropped));

  if (s.outbox) {
    const outbox::OutboxStats& o = *s.outbox;
    f.Gauge("rvm_outbox_pending_records", "Records waiting for delivery (backlog)", D(o.pending));
    f.Gauge("rvm_outbox_pending_bytes", "Payload and evidence bytes of the backlog",
            D(o.pending_bytes));
    f.Gauge("rvm_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered record",
            D(o.oldest_pending_age_ms) / 1000.0);
    f.Gauge("rvm_outbox_delivered_records", "Delivered records still kept", D(o.delivered));
    f.Gauge("rvm_outbox_parked_records", "Records refused for good", D(o.parked));
    f.Gauge("rvm_outbox_accepting", "1 while the outbox accepts records", B(o.accepting));
    f.Gauge("rvm_outbox_used_bytes", "Bytes charged against the outbox quota", D(o.bytes_used));
    f.Gauge("rvm_outbox_quota_bytes", "Outbox disk quota", D(o.quota_bytes));
    f.Counter("rvm_outbox_appended_total", "Records appended since start", D(o.appended));
  }
  if (s.delivery) {
    const uplink::DeliveryStats& d = *s.delivery;
    f.Counter("rvm_uplink_requests_total", "Requests made to the platform", D(d.api_calls));
    f.Counter("rvm_uplink_retries_total", "Failed attempts scheduled for a retry", D(d.retries));
    f.Counter("rvm_uplink_errors_total", "Uplink failures by kind", D(d.auth_failures),
              {{"kind", "auth"}});
    f.Counter("rvm_uplink_errors_total", "Uplink failures by kind", D(d.garbled_acks),
              {{"kind", "garbled_ack"}});
    f.Counter("rvm_uplink_errors_total", "Uplink failures by kind", D(d.outbox_errors),
              {{"kind", "outbox"}});
    f.Counter("rvm_uplink_records_delivered_total", "Records the platform acknowledged",
              D(d.delivered));
    f.Counter("rvm_uplink_records_parked_total", "Records refused for good", D(d.parked));
    f.Counter("rvm_uplink_connections_opened_total", "Connections opened to the platform",
              D(d.connections_opened));
    for (const char* state : {"closed", "open", "half_open"}) {
      f.Gauge("rvm_uplink_circuit_state", "1 for the circuit breaker's current state",
              B(d.circuit == state), {{"state", state}});
    }
    f.Counter("rvm_uplink_circuit_opened_total", "Times the circuit opened", D(d.circuit_opened));
  }

  f.Gauge("rvm_process_resident_memory_bytes", "Resident memory of the service",
          D(sys.process.rss_bytes));
  f.Gauge("rvm_process_peak_resident_memory_bytes", "Peak resident memory of the service",
          D(sys.process.peak_rss_bytes));
  f.Counter("rvm_process_cpu_seconds_total", "CPU time of the service", sys.process.cpu_user_s,
            {{"mode", "user"}});
  f.Counter("rvm_process_cpu_seconds_total", "CPU time of the service", sys.process.cpu_system_s,
            {{"mode", "system"}});
  if (sys.cpu) {
    const CpuTimes& c = *sys.cpu;
    for (const auto& [mode, v] : {std::pair<const char*, double>{"user", c.user},
                                  {"nice", c.nice},
                                  {"system", c.system},
                                  {"idle", c.idle},
                                  {"iowait", c.iowait},
                                  {"irq", c.irq},
                                  {"softirq", c.softirq},
                                  {"steal", c.steal}}) {
      f.Counter("rvm_system_cpu_seconds_total", "CPU time of the whole machine, all CPUs", v,
                {{"mode", mode}});
    }
  }
  if (sys.cpu_usage_ratio) {
    f.Gauge("rvm_system_cpu_usage_ratio", "Machine CPU busy share since the previous reading",
            *sys.cpu_usage_ratio);
  }
  if (sys.cpu_count > 0) f.Gauge("rvm_system_cpus", "Online CPUs", sys.cpu_count);
  if (sys.memory_total_bytes) {
    f.Gauge("rvm_system_memory_total_bytes", "Machine memory", D(*sys.memory_total_bytes));
  }
  if (sys.memory_available_bytes) {
    f.Gauge("rvm_system_memory_available_bytes", "Machine memory available",
            D(*sys.memory_available_bytes));
  }
  if (sys.disk_total_bytes) {
    f.Gauge("rvm_outbox_filesystem_size_bytes", "Size of the filesystem holding the outbox",
            D(*sys.disk_total_bytes));
  }
  if (sys.disk_available_bytes) {
    f.Gauge("rvm_outbox_filesystem_available_bytes", "Free bytes on the outbox filesystem",
            D(*sys.disk_available_bytes));
  }
  for (const ThermalReading& t : sys.thermal) {
    f.Gauge("rvm_thermal_zone_temperature_celsius", "Thermal zone temperature", t.celsius,
            {{"type", t.type}, {"zone", t.zone}});
  }
  for (const ThermalReading& t : sys.thermal) {
    if (!IsGpuZone(t.type)) continue;
    f.Gauge("rvm_gpu_temperature_celsius", "GPU temperature (Jetson thermal zones)", t.celsius,
            {{"type", t.type}, {"zone", t.zone}});
  }
  if (sys.gpu_load_ratio) {
    f.Gauge("rvm_gpu_load_ratio", "GPU load (Jetson sysfs)", *sys.gpu_load_ratio);
  }
  return f.Take();
}

AdminMetrics::AdminMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      stages_(prometheus::BuildHistogram()
                  .Name("rvm_pipeline_stage_duration_seconds")
                  .Help("Time one frame spent in a pipeline stage")
                  .Register(*registry_)),
      batch_sizes_(prometheus::BuildHistogram()
                       .Name("rvm_inference_batch_size")
                       .Help("Frames per inference call")
                       .Register(*registry_)),
      decided_(prometheus::BuildCounter()
                   .Name("rvm_items_decided_total")
                   .Help("Items decided, by material and outcome")
                   .Register(*registry_)),
      uplink_latency_(prometheus::BuildHistogram()
                          .Name("rvm_uplink_request_duration_seconds")
                          .Help("Latency of requests to the platform")
                          .Register(*registry_)),
      uplink_outcomes_(prometheus::BuildCounter()
                           .Name("rvm_uplink_timed_requests_total")
                           .Help("Requests timed by the uplink, by outcome")
                           .Register(*registry_)) {
  for (size_t i = 0; i < kStages.size(); ++i) {
    known_stages_[i] = &stages_.Add({{"stage", std::string(kStages[i])}}, kStageBuckets);
  }
  batch_size_ = &batch_sizes_.Add({}, kBatchBuckets);
  for (size_t m = 0; m <= kAllMaterials.size(); ++m) {
    const std::string material =
        m < kAllMaterials.size() ? std::string(MaterialName(kAllMaterials[m])) : "unknown";
    decided_by_material_[m][0] = &decided_.Add({{"material", material}, {"outcome", "rejected"}});
    decided_by_material_[m][1] = &decided_.Add({{"material", material}, {"outcome", "accepted"}});
  }
}

prometheus::Histogram& AdminMetrics::StageHistogram(std::string_view stage) {
  for (size_t i = 0; i < kStages.size(); ++i) {
    if (kStages[i] == stage) return *known_stages_[i];
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = other_stages_.find(stage);
  if (it == other_stages_.end()) {
    prometheus::Histogram& h = stages_.Add({{"stage", std::string(stage)}}, kStageBuckets);
    it = other_stages_.emplace(std::string(stage), &h).first;
  }
  return *it->second;
}

void AdminMetrics::OnStage(std::string_view stage, double ms) {
  StageHistogram(stage).Observe(ms / 1000.0);
}

void AdminMetrics::OnBatch(int size) { batch_size_->Observe(size); }

void AdminMetrics::OnDecision(const Decision& decision) {
  decided_by_material_[MaterialIndex(decision.material)][decision.accepted ? 1 : 0]->Increment();
}

void AdminMetrics::OnUplinkRequest(double ms, bool ok) {
  prometheus::Histogram* h = uplink_histogram_.load(std::memory_order_acquire);
  if (h == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    h = uplink_histogram_.load();
    if (h == nullptr) {
      uplink_ok_.store(&uplink_outcomes_.Add({{"outcome", "ok"}}));
      uplink_failed_.store(&uplink_outcomes_.Add({{"outcome", "failed"}}));
      h = &uplink_latency_.Add({}, kUplinkBuckets);
      uplink_histogram_.store(h, std::memory_order_release);
    }
  }
  h->Observe(ms / 1000.0);
  (ok ? uplink_ok_ : uplink_failed_).load()->Increment();
}

std::vector<StageLatency> AdminMetrics::StageLatencies() const {
  std::vector<StageLatency> out;
  for (const MetricFamily& family : registry_->Collect()) {
    if (family.name != "rvm_pipeline_stage_duration_seconds") continue;
    for (const ClientMetric& m : family.metric) {
      if (m.histogram.sample_count == 0 || m.label.empty()) continue;
      StageLatency s;
      s.stage = m.label[0].value;
      s.count = m.histogram.sample_count;
      s.sum_ms = m.histogram.sample_sum * 1000.0;
      s.p50_ms = HistogramQuantile(m.histogram, 0.5) * 1000.0;
      s.p90_ms = HistogramQuantile(m.histogram, 0.9) * 1000.0;
      s.p99_ms = HistogramQuantile(m.histogram, 0.99) * 1000.0;
      out.push_back(std::move(s));
    }
  }
  auto rank = [](const std::string& stage) {
    auto it = std::find(kStages.begin(), kStages.end(), stage);
    return static_cast<size_t>(it - kStages.begin());
  };
  std::sort(out.begin(), out.end(), [&](const StageLatency& a, const StageLatency& b) {
    return std::pair(rank(a.stage), a.stage) < std::pair(rank(b.stage), b.stage);
  });
  return out;
}

std::string AdminMetrics::Render(const ops::ServiceStatus& status,
                                 const SystemSample& system) const {
  std::vector<MetricFamily> families = registry_->Collect();
  std::vector<MetricFamily> scraped = StatusFamilies(status, system);
  families.insert(families.end(), std::make_move_iterator(scraped.begin()),
                  std::make_move_iterator(scraped.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace rvm::admin
